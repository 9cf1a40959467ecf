// A Node-API addon that leaks on purpose, for scripts/test-asan.mjs: it proves that LeakSanitizer,
// under the options and suppressions (test/asan/lsan.supp) the sanitizer run uses, still reports an
// allocation made by addon code. It leaks along the three paths our addon allocates on: a call
// from JavaScript (native/napi bindings), a libuv pool thread (AsyncTask's Execute) and a thread
// the addon starts itself (the engine's scheduler and the image pool). A suppression that matched
// any frame those paths share with our addon (node's callback wrappers, libuv's worker loop,
// libc's thread start) would hide these leaks, and the script would fail.
//
// Each path leaks a distinct byte count so the script can find each one in the report without
// symbols. Built by the script into build-asan/ with `cc -shared -fPIC -g -O0`.
#include <node_api.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

// Also read by scripts/test-asan.mjs (the "Direct leak of N byte(s)" it looks for).
enum {
  kLeakBytesJsThread = 7001,
  kLeakBytesLibuvThread = 7002,
  kLeakBytesOwnThread = 7003,
};

// Writes to the block so it is not optimized away, then drops the only pointer to it.
__attribute__((noinline)) void vl2_lsan_probe_leak(size_t bytes) {
  char* volatile block = malloc(bytes);
  memset(block, 0x5a, bytes);
  block = NULL;
}

static napi_value leak_on_js_thread(napi_env env, napi_callback_info info) {
  (void)info;
  vl2_lsan_probe_leak(kLeakBytesJsThread);
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
} LibuvLeak;

static void leak_execute(napi_env env, void* data) {
  (void)env;
  (void)data;
  vl2_lsan_probe_leak(kLeakBytesLibuvThread);
}

static void leak_complete(napi_env env, napi_status status, void* data) {
  (void)status;
  LibuvLeak* leak = data;
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_resolve_deferred(env, leak->deferred, undefined);
  napi_delete_async_work(env, leak->work);
  free(leak);
}

// Returns a Promise that settles once the pool thread has leaked.
static napi_value leak_on_libuv_thread(napi_env env, napi_callback_info info) {
  (void)info;
  LibuvLeak* leak = malloc(sizeof(LibuvLeak));
  napi_value promise, name;
  napi_create_promise(env, &leak->deferred, &promise);
  napi_create_string_utf8(env, "vl2LsanProbe", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, leak_execute, leak_complete, leak, &leak->work);
  napi_queue_async_work(env, leak->work);
  return promise;
}

static void* leak_thread_main(void* arg) {
  (void)arg;
  vl2_lsan_probe_leak(kLeakBytesOwnThread);
  return NULL;
}

static napi_value leak_on_own_thread(napi_env env, napi_callback_info info) {
  (void)info;
  pthread_t thread;
  pthread_create(&thread, NULL, leak_thread_main, NULL);
  pthread_join(thread, NULL);
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor methods[] = {
      {"leakOnJsThread", NULL, leak_on_js_thread, NULL, NULL, NULL, napi_default, NULL},
      {"leakOnLibuvThread", NULL, leak_on_libuv_thread, NULL, NULL, NULL, napi_default, NULL},
      {"leakOnOwnThread", NULL, leak_on_own_thread, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(methods) / sizeof(methods[0]), methods);
  return exports;
}
