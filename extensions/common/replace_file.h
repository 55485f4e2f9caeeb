/* replace_file.h -- replacing a file safely: the one rule of every writer in
 * the course (pb's deviceapps_xwrite_pb, targets' targets_negative).
 *
 * The output is written to a temporary file next to the destination and renamed
 * over it once complete, so a failure never leaves half a file. Otherwise the
 * result is what open(path, "w") would have written:
 *   - no file yet: the new file gets 0666 & ~umask. The temporary is created
 *     with mode 0666 and the kernel applies the umask (mkstemp would force 0600,
 *     and reading the umask means setting it: umask() is process-wide, racy);
 *   - a regular file: the new one keeps its permission bits;
 *   - a symlink: followed, like open() follows it; the file it names is replaced
 *     (or created, if the link dangles) and the link stays;
 *   - anything else (directory, FIFO, device, socket) is refused before anything
 *     is written: open() would not replace it (and opening a FIFO to write waits).
 * No Python object: callable without the GIL. The caller calls replace_end() on
 * every path. tests/test_safe_replace.py runs the same cases on every writer.
 *
 * A header of static functions, included by each module's one C file: each
 * module gets its own copy, and no library has to be built and found. */
#ifndef REPLACE_FILE_H
#define REPLACE_FILE_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPLACE_MAX_LINKS 40 /* symlinks followed, Linux's own limit */

struct replace {
    char *target;        /* the file replaced: the path, symlinks followed */
    char *temp;          /* the temporary file while it exists, else NULL */
    int fd;              /* open on temp, -1 once closed or handed over */
    const char *refusal; /* why the destination was refused, else NULL */
};

/* `path` with its symlinks followed, malloc()ed; *info is what lstat() says of
 * it, with st_mode 0 when nothing is there. NULL with errno set on failure. */
static char *
replace_resolve(const char *path, struct stat *info)
{
    if (*path == '\0') { /* open("") fails so: no temporary in the cwd */
        errno = ENOENT;
        return NULL;
    }
    char *current = strdup(path), link[PATH_MAX];
    for (int hops = 0; current != NULL; hops++) {
        if (lstat(current, info) < 0) {
            if (errno != ENOENT)
                break;
            info->st_mode = 0; /* nothing there (a dangling link ends here too) */
            return current;
        }
        if (!S_ISLNK(info->st_mode))
            return current;
        ssize_t size = hops < REPLACE_MAX_LINKS ? readlink(current, link, sizeof link) : -1;
        if (size < 0 || size == sizeof link) {
            errno = hops >= REPLACE_MAX_LINKS ? ELOOP : size < 0 ? errno : ENAMETOOLONG;
            break;
        }
        /* A relative link is relative to the directory that holds the link. */
        const char *slash = link[0] == '/' ? NULL : strrchr(current, '/');
        size_t keep = slash != NULL ? (size_t)(slash - current) + 1 : 0;
        char *next = malloc(keep + (size_t)size + 1);
        if (next != NULL) {
            memcpy(next, current, keep);
            memcpy(next + keep, link, (size_t)size);
            next[keep + (size_t)size] = '\0';
        }
        free(current);
        current = next;
    }
    int saved = errno;
    free(current);
    errno = saved;
    return NULL;
}

/* [region: open] */
/* Check the destination and create the temporary file. 0, or -1 with errno set
 * (and r->refusal set when the destination is not a regular file). */
static int
replace_open(struct replace *r, const char *path)
{
    static unsigned long serial; /* numbers this process' temporaries; no GIL: atomic */
    struct stat info;
    r->temp = NULL;
    r->fd = -1;
    r->refusal = NULL;
    if ((r->target = replace_resolve(path, &info)) == NULL)
        return -1;
    if (info.st_mode != 0 && !S_ISREG(info.st_mode)) {
        r->refusal = S_ISDIR(info.st_mode)    ? "a directory, not a regular file"
                     : S_ISFIFO(info.st_mode) ? "a FIFO, not a regular file"
                     : S_ISSOCK(info.st_mode) ? "a socket, not a regular file"
                                              : "a device, not a regular file";
        errno = S_ISDIR(info.st_mode) ? EISDIR : EINVAL;
        return -1;
    }
    size_t size = strlen(r->target) + 64;
    char *temp = malloc(size);
    for (int attempt = 0; temp != NULL && r->fd < 0 && attempt < 100; attempt++) {
        snprintf(temp, size, "%s.%ld-%lu.tmp", r->target, (long)getpid(),
                 __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED));
        r->fd = open(temp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
        if (r->fd < 0 && errno != EEXIST)
            break;
    }
    if (r->fd < 0) { /* nothing created: nothing to remove */
        int saved = errno;
        free(temp);
        errno = saved;
        return -1;
    }
    r->temp = temp;
    return info.st_mode != 0 ? fchmod(r->fd, info.st_mode & 07777) : 0;
}
/* [end: open] */

/* Close the temporary file (unless its fd was handed over and closed) and rename
 * it over the target. 0, or -1 with errno set. */
static int
replace_commit(struct replace *r)
{
    int fd = r->fd;
    r->fd = -1;
    if ((fd >= 0 && close(fd) < 0) || rename(r->temp, r->target) < 0)
        return -1;
    free(r->temp);
    r->temp = NULL; /* renamed: nothing left to remove */
    return 0;
}

/* On every path: close and remove what is left of the temporary. errno kept. */
static void
replace_end(struct replace *r)
{
    int saved = errno;
    if (r->fd >= 0)
        close(r->fd);
    if (r->temp != NULL)
        unlink(r->temp);
    free(r->temp);
    free(r->target);
    r->fd = -1;
    r->temp = r->target = NULL;
    errno = saved;
}

#endif
