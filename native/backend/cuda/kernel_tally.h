// Counts kernel launches by name (every launcher's checkLaunch reports here), so a check can
// say which kernels a run used: the tuned ones, or the shape-agnostic fallbacks. Launches
// captured into a CUDA graph count once, at capture, not at each replay.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vl2::cuda {

// kernelName: a string literal (counted by address; equal names are merged when read).
void tallyLaunch(const char* kernelName);

// Every name counted since the last reset, with its launches, sorted by name.
std::vector<std::pair<std::string, std::uint64_t>> launchTally();
void resetLaunchTally();

}  // namespace vl2::cuda
