# The CUDA backend: built when VL2_CUDA is ON, or AUTO and nvcc is found.
# Static cudart and no cuBLAS: the addon needs only the NVIDIA driver, and on a
# machine without one it still loads and reports CUDA as unavailable.
# enable_language() must run at directory scope, so detection happens on include.
set(VL2_HAS_CUDA OFF)
if(VL2_CUDA STREQUAL "ON")
  set(VL2_HAS_CUDA ON)
elseif(VL2_CUDA STREQUAL "AUTO")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(VL2_HAS_CUDA ON)
  else()
    message(STATUS "deepseek-vl2: nvcc not found, building without the CUDA backend")
  endif()
elseif(NOT VL2_CUDA STREQUAL "OFF")
  message(FATAL_ERROR "VL2_CUDA must be AUTO, ON or OFF (got '${VL2_CUDA}')")
endif()

if(VL2_HAS_CUDA)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
    set(CMAKE_CUDA_ARCHITECTURES "90a;80")
  endif()
  set(CMAKE_CUDA_RUNTIME_LIBRARY Static)
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  enable_language(CUDA)
endif()

function(vl2_add_cuda_backend target)
  if(NOT VL2_HAS_CUDA)
    return()
  endif()
  file(GLOB_RECURSE cuda_sources CONFIGURE_DEPENDS
    "${CMAKE_SOURCE_DIR}/native/backend/cuda/*.cu"
    "${CMAKE_SOURCE_DIR}/native/backend/cuda/*.cc")
  target_sources(${target} PRIVATE ${cuda_sources})
  set_target_properties(${target} PROPERTIES
    CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}"
    CUDA_RUNTIME_LIBRARY Static)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:-O3 --expt-relaxed-constexpr -Xcompiler=-fvisibility=hidden>)
  target_compile_definitions(${target} PRIVATE VL2_WITH_CUDA=1)
  message(STATUS "deepseek-vl2: CUDA backend for architectures ${CMAKE_CUDA_ARCHITECTURES}")
endfunction()
