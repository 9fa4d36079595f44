// The subset of the standard WebAssembly C API (wasm.h, github.com/WebAssembly/wasm-c-api)
// that the PHP bridge uses, with its macros expanded for PHP's FFI::cdef (which has no
// preprocessor). Nothing here is specific to one runtime: any library that implements
// wasm.h (wasmi, wasmtime, wasmer, ...) can be loaded instead by changing its path.

typedef char byte_t;
typedef uint8_t wasm_valkind_t;
typedef uint8_t wasm_externkind_t;

typedef struct wasm_byte_vec_t { size_t size; byte_t* data; } wasm_byte_vec_t;
typedef wasm_byte_vec_t wasm_name_t;
typedef wasm_byte_vec_t wasm_message_t;

typedef struct wasm_engine_t wasm_engine_t;
typedef struct wasm_store_t wasm_store_t;
typedef struct wasm_module_t wasm_module_t;
typedef struct wasm_instance_t wasm_instance_t;
typedef struct wasm_func_t wasm_func_t;
typedef struct wasm_memory_t wasm_memory_t;
typedef struct wasm_extern_t wasm_extern_t;
typedef struct wasm_trap_t wasm_trap_t;
typedef struct wasm_ref_t wasm_ref_t;
typedef struct wasm_valtype_t wasm_valtype_t;
typedef struct wasm_functype_t wasm_functype_t;
typedef struct wasm_externtype_t wasm_externtype_t;
typedef struct wasm_importtype_t wasm_importtype_t;
typedef struct wasm_exporttype_t wasm_exporttype_t;

typedef struct wasm_val_t {
  wasm_valkind_t kind;
  union { int32_t i32; int64_t i64; float f32; double f64; struct wasm_ref_t* ref; } of;
} wasm_val_t;

typedef struct wasm_val_vec_t { size_t size; wasm_val_t* data; } wasm_val_vec_t;
typedef struct wasm_extern_vec_t { size_t size; wasm_extern_t** data; } wasm_extern_vec_t;
typedef struct wasm_importtype_vec_t { size_t size; wasm_importtype_t** data; } wasm_importtype_vec_t;
typedef struct wasm_exporttype_vec_t { size_t size; wasm_exporttype_t** data; } wasm_exporttype_vec_t;
typedef struct wasm_valtype_vec_t { size_t size; wasm_valtype_t** data; } wasm_valtype_vec_t;

typedef wasm_trap_t* (*wasm_func_callback_t)(const wasm_val_vec_t* args, wasm_val_vec_t* results);

void wasm_byte_vec_new(wasm_byte_vec_t* out, size_t, const byte_t*);
void wasm_byte_vec_delete(wasm_byte_vec_t*);
void wasm_extern_vec_delete(wasm_extern_vec_t*);
void wasm_importtype_vec_delete(wasm_importtype_vec_t*);
void wasm_exporttype_vec_delete(wasm_exporttype_vec_t*);

wasm_engine_t* wasm_engine_new(void);
void wasm_engine_delete(wasm_engine_t*);
wasm_store_t* wasm_store_new(wasm_engine_t*);
void wasm_store_delete(wasm_store_t*);

wasm_module_t* wasm_module_new(wasm_store_t*, const wasm_byte_vec_t* binary);
void wasm_module_delete(wasm_module_t*);
void wasm_module_imports(const wasm_module_t*, wasm_importtype_vec_t* out);
void wasm_module_exports(const wasm_module_t*, wasm_exporttype_vec_t* out);

const wasm_name_t* wasm_importtype_module(const wasm_importtype_t*);
const wasm_name_t* wasm_importtype_name(const wasm_importtype_t*);
const wasm_externtype_t* wasm_importtype_type(const wasm_importtype_t*);
const wasm_name_t* wasm_exporttype_name(const wasm_exporttype_t*);
const wasm_externtype_t* wasm_exporttype_type(const wasm_exporttype_t*);
wasm_externkind_t wasm_externtype_kind(const wasm_externtype_t*);
const wasm_functype_t* wasm_externtype_as_functype_const(const wasm_externtype_t*);
const wasm_valtype_vec_t* wasm_functype_params(const wasm_functype_t*);
const wasm_valtype_vec_t* wasm_functype_results(const wasm_functype_t*);
wasm_valkind_t wasm_valtype_kind(const wasm_valtype_t*);

wasm_func_t* wasm_func_new(wasm_store_t*, const wasm_functype_t*, wasm_func_callback_t);
void wasm_func_delete(wasm_func_t*);
size_t wasm_func_result_arity(const wasm_func_t*);
wasm_trap_t* wasm_func_call(const wasm_func_t*, const wasm_val_vec_t* args, wasm_val_vec_t* results);
wasm_extern_t* wasm_func_as_extern(wasm_func_t*);

wasm_trap_t* wasm_trap_new(wasm_store_t* store, const wasm_message_t*);
void wasm_trap_message(const wasm_trap_t*, wasm_message_t* out);
void wasm_trap_delete(wasm_trap_t*);

wasm_instance_t* wasm_instance_new(wasm_store_t*, const wasm_module_t*, const wasm_extern_vec_t* imports, wasm_trap_t** trap);
void wasm_instance_delete(wasm_instance_t*);
void wasm_instance_exports(const wasm_instance_t*, wasm_extern_vec_t* out);

wasm_externkind_t wasm_extern_kind(const wasm_extern_t*);
wasm_func_t* wasm_extern_as_func(wasm_extern_t*);
wasm_memory_t* wasm_extern_as_memory(wasm_extern_t*);

byte_t* wasm_memory_data(wasm_memory_t*);
size_t wasm_memory_data_size(const wasm_memory_t*);

// Not part of wasm.h: a plain struct (no symbol) that holds the bridge's one trapping
// host callback, so that PHP creates that C callback once per process.
typedef struct tcr_callback_holder_t { wasm_func_callback_t callback; } tcr_callback_holder_t;
