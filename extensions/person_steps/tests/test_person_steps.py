"""The Person type, step by step (lesson 03, "Your own types"): what each step adds, and what the step
before it got wrong (tested here as it is, so the lesson's claims hold)."""
import gc
import sys
import sysconfig
import weakref

import pytest

import person1_bare
import person2_members
import person3_checked
import person4_gc

STEPS = [person1_bare, person2_members, person3_checked, person4_gc]


@pytest.mark.parametrize("step", STEPS, ids=lambda m: m.__name__)
def test_a_heap_type_of_its_module(step):
    Person = step.Person
    assert Person.__module__ == step.__name__ and Person.__name__ == "Person"
    with pytest.raises(TypeError):
        Person.anything = 1                 # immutable, as a built-in type
    with pytest.raises(TypeError):
        class Child(Person):                # no BASETYPE yet: that is custom.Person
            pass


@pytest.mark.parametrize("step", STEPS, ids=lambda m: m.__name__)
def test_no_instance_dict(step):
    person = step.Person() if step is person1_bare else step.Person("Ada")
    with pytest.raises(AttributeError):
        person.nickname = "A"


def test_step1_takes_no_arguments():
    assert type(person1_bare.Person()) is person1_bare.Person
    with pytest.raises(TypeError, match="takes no arguments"):
        person1_bare.Person("Ada")


def test_step2_members():
    person = person2_members.Person("Ada", 36)
    assert (person.name, person.age) == ("Ada", 36)
    person.age += 1
    assert person.age == 37
    with pytest.raises(TypeError):
        person2_members.Person(42)          # the "U" format: a str
    with pytest.raises(OverflowError):
        person.age = 2 ** 70


def test_step2_lets_anything_in():
    """What step 3 fixes: a member has no rules, and the field starts empty."""
    person = person2_members.Person("Ada")
    person.name = 42
    assert person.name == 42
    del person.name
    with pytest.raises(AttributeError):
        person.name
    with pytest.raises(AttributeError):
        person2_members.Person.__new__(person2_members.Person).name


@pytest.mark.parametrize("step", [person3_checked, person4_gc], ids=lambda m: m.__name__)
def test_steps_3_and_4_check_the_name(step):
    person = step.Person("Ada", 36)
    with pytest.raises(TypeError, match="name must be a str, not int"):
        person.name = 42
    with pytest.raises(ValueError, match="name must not be empty"):
        step.Person("")
    with pytest.raises(AttributeError, match="cannot delete the name attribute"):
        del person.name
    with pytest.raises(ValueError, match="age must be at least 0, not -1"):
        step.Person("Ada", -1)
    assert person.name == "Ada"
    assert step.Person.__new__(step.Person).name == "nobody"


def test_step4_friends_and_cycles_are_collected():
    Person = person4_gc.Person
    ada = Person("Ada")
    assert ada.friends == [] and gc.is_tracked(ada)
    with pytest.raises(AttributeError):
        ada.friends = []                    # read-only: the list itself is changed
    # A cycle: ada's friends hold ada. Only the collector can free it; a weak
    # reference to another friend in the same list tells whether it did.
    class Friend:
        pass
    ada.friends.extend([ada, Friend()])
    friend = weakref.ref(ada.friends[1])
    del ada
    assert friend() is not None             # the cycle keeps everything alive...
    gc.collect()
    assert friend() is None                 # ...until the collector breaks it


def test_step3_is_not_tracked():
    assert not gc.is_tracked(person3_checked.Person("Ada"))


@pytest.mark.skipif(bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
                    reason="a free-threaded build counts a heap type's references per thread, "
                           "and sys.getrefcount sees only the shared part")
@pytest.mark.parametrize("step", STEPS, ids=lambda m: m.__name__)
def test_instances_release_their_type(step):
    make = (lambda: step.Person()) if step is person1_bare else (lambda: step.Person("Ada"))
    make()
    before = sys.getrefcount(step.Person)
    for _ in range(1000):
        make()
    after = sys.getrefcount(step.Person)    # (not inside assert: pytest's rewriting holds one more)
    assert after == before
