/**
 * The two Lua scripts that make a lease's token mean something: Redis runs each atomically, so
 * "is this still our registration?" and the change it guards cannot be split by another client's
 * write (a restarted service, or one that took over an expired id).
 */

/**
 * KEYS[1] the entry, ARGV[1] the lease's token, ARGV[2] the TTL in ms.
 * 1: extended; 0: the key is gone (expired, or deleted); -1: it holds another registration.
 */
export const RENEW_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, entry = pcall(cjson.decode, raw)
if not ok or type(entry) ~= 'table' or entry.token ~= ARGV[1] then return -1 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** KEYS[1] the entry, ARGV[1] the lease's token. 1: deleted; 0: gone or someone else's (left alone). */
export const UNREGISTER_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, entry = pcall(cjson.decode, raw)
if not ok or type(entry) ~= 'table' or entry.token ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;
