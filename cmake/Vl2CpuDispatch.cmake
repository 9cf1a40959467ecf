# Wide-SIMD kernels are compiled per instruction set and picked at run time, so
# one binary runs on any x86-64 machine: a file named *_avx2.cc is compiled with
# AVX2/FMA/F16C and may only be called after the CPU says it supports them (the
# same for *_avx512.cc and *_avx512_bf16.cc, the latter adding vdpbf16ps).
function(vl2_apply_cpu_dispatch target sources)
  if(NOT CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
    return()
  endif()
  foreach(src IN LISTS sources)
    if(src MATCHES "_avx2\\.cc$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma;-mf16c")
    elseif(src MATCHES "_avx512_bf16\\.cc$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "-mavx512f;-mavx512bf16;-mavx512bw;-mavx512vl;-mfma")
    elseif(src MATCHES "_avx512\\.cc$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq;-mfma;-mf16c")
    endif()
  endforeach()
  target_compile_definitions(${target} PRIVATE VL2_X86_DISPATCH=1)
endfunction()
