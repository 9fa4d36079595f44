// libtcr_php.so (php/runtime/src/lib.rs): the C functions PHP's FFI::cdef binds. No
// preprocessor (FFI::cdef has none); php/build-runtime.sh prepends FFI_SCOPE/FFI_LIB to a copy
// for ffi.preload.

typedef struct tcr_php_open_t {
  uint32_t status;       // 0 ok, 1 wasm missing, 2 wasm invalid, 3 wasm version (exports), 4 runtime
  uint32_t handle;
  uint32_t generation;
  uint32_t source;       // 0 kept instance, 1 new instance, 2 disk cache, 3 compiled
  uint32_t cache;        // 0 not asked, 1 hit, 2 written, 3 miss, 4 rejected, 5 unusable, 6 disabled
  uint32_t warn;         // 1: the cache is unusable for a reason not reported before in this process (log it)
  uint64_t stat_ns;
  uint64_t read_ns;
  uint64_t load_ns;
  uint64_t instantiate_ns;
  uint64_t store_ns;
  uint64_t engine_ns;
  const char *message;
  size_t message_len;
} tcr_php_open_t;

typedef struct tcr_php_answer_t {
  uint32_t status;       // 0 ok, 1 trap, 2 stale handle, 3 too large, 4 signature, 5 unusable, 6 internal
  uint32_t rebuilt;
  int64_t value;
  const char *ptr;
  size_t len;
} tcr_php_answer_t;

typedef struct tcr_php_stats_t {
  uint64_t opens;
  uint64_t kept;
  uint64_t instantiations;
  uint64_t compiles;
  uint64_t disk_hits;
  uint64_t disk_writes;
  uint64_t disk_rejects;
  uint64_t traps;
  uint64_t memory_resets;
  uint64_t modules;
  uint64_t process_id;
} tcr_php_stats_t;

uint32_t tcr_php_abi(void);
const tcr_php_open_t *tcr_php_open(const char *path, size_t path_len, const char *cache_dir, size_t cache_dir_len,
                                   const char *required, size_t required_len);
const tcr_php_answer_t *tcr_php_answer(uint32_t handle, uint32_t generation, const char *export_name, size_t export_len,
                                       uint32_t docs, const char *a, size_t a_len, const char *b, size_t b_len,
                                       const char *c, size_t c_len, int64_t now, uint32_t with_now);
const tcr_php_answer_t *tcr_php_invoke(uint32_t handle, uint32_t generation, const char *export_name, size_t export_len,
                                       uint32_t nargs, int64_t a0, int64_t a1, int64_t a2, int64_t a3);
const tcr_php_stats_t *tcr_php_stats(void);
void tcr_php_forget(void);
