// A Node-API addon with one function, leakCheck(): runs LeakSanitizer now, inside a vitest worker,
// and returns how many leak reports it printed (0 or 1: LSan prints one report of all leaks).
// test/asan/leak-check.setup.ts calls it after each test file's own afterAll hooks.
//
// Why not LSan's usual check at exit: vitest stops a forks-pool worker with SIGTERM (node then dies
// by the signal, without exit(), so the at-exit check never runs), sends SIGKILL 500 ms later, and
// ignores the worker's exit status. A check at exit would be skipped, cut short, or unseen; this
// one fails the test file in vitest's own report. The LSan runtime is the preloaded libasan.
#include <node_api.h>
#include <sanitizer/lsan_interface.h>

static napi_value leak_check(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value reports;
  napi_create_int32(env, __lsan_do_recoverable_leak_check(), &reports);
  return reports;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "leakCheck", NAPI_AUTO_LENGTH, leak_check, NULL, &fn);
  napi_set_named_property(env, exports, "leakCheck", fn);
  return exports;
}
