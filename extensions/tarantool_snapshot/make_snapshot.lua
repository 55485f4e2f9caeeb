-- make_snapshot.lua DATA WORK_DIR: start Tarantool on WORK_DIR (no network port),
-- create the spaces listed in DATA and insert their tuples, then box.snapshot().
--
-- DATA is MessagePack, written by snapshot_reference.write_request():
--   [[space name, space id, [tuple as raw MessagePack bytes, ...]], ...]
-- Each tuple is inserted as the exact bytes Python encoded, through Tarantool's
-- C API (box_insert), so the snapshot holds those bytes whatever Lua would have
-- made of them (Lua has no bytes type and one number type).
local ffi = require('ffi')
local fio = require('fio')
local msgpack = require('msgpack')

local data_path, work_dir = arg[1], arg[2]
box.cfg{work_dir = work_dir, log = 'tarantool.log', memtx_max_tuple_size = 16 * 1024 * 1024}

ffi.cdef[[
int box_insert(uint32_t space_id, const char *tuple, const char *tuple_end, void **result);
const char *box_error_message(const void *error);
const void *box_error_last(void);
]]

local file = assert(fio.open(data_path, {'O_RDONLY'}))
local request = msgpack.decode(file:read())
file:close()

for _, space in ipairs(request) do
    local name, id, tuples = space[1], space[2], space[3]
    local s = box.schema.space.create(name, {id = id})
    s:create_index('primary', {parts = {1, 'unsigned'}})
    box.begin()
    for i, raw in ipairs(tuples) do
        if ffi.C.box_insert(id, raw, ffi.cast('const char *', raw) + #raw, nil) ~= 0 then
            error(string.format('%s tuple %d: %s', name, i,
                                ffi.string(ffi.C.box_error_message(ffi.C.box_error_last()))))
        end
        if i % 10000 == 0 then box.commit() box.begin() end
    end
    box.commit()
end
box.snapshot()
os.exit(0)
