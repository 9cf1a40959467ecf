// Image work runs below the JS thread's priority. On a machine with few cores, decoding and resizing
// threads outnumber the cores, and the JS thread, waking for a timer or a socket, waited in the run
// queue behind them: with 64 images in flight on 2 cores it waited 3.5 times as long as it ran, and that
// wait was most of the event-loop delay (p99 8.3 ms). With every image thread at nice 5 the wait halved
// and p99 fell to 5.1-5.5 ms at the same throughput. Every thread that does image work is lowered alike
// (the image pool's workers, which run whole image tasks, and the libvips workers they start, which
// inherit it), so none waits on a chunk a lower-priority thread holds (workers alone at nice 10, with
// the tasks on nice 0 threads, made 4 images in flight no faster than 1). No thread the host process
// owns is lowered: image tasks never run on libuv's pool. Linux only: elsewhere a thread's nice value
// is not its own.
#pragma once

namespace vl2::image {

// The nice value image threads run at: a 3:1 CPU share for the JS thread under contention, not starvation.
constexpr int kImageWorkNice = 5;

// Lowers the calling thread to kImageWorkNice (never raises it; without privileges a thread cannot
// raise its priority again, so only threads the image pool owns call it).
void lowerToImageWorkPriority();

}  // namespace vl2::image
