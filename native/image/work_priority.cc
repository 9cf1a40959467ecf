#include "image/work_priority.h"

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#endif

namespace vl2::image {

void lowerToImageWorkPriority() {
#if defined(__linux__)
  // On Linux PRIO_PROCESS with a thread id applies to that thread alone.
  const auto thread = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, thread);
  if (errno == 0 && nice < kImageWorkNice) setpriority(PRIO_PROCESS, thread, kImageWorkNice);
#endif
}

}  // namespace vl2::image
