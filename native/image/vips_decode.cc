// libvips is reached through dlsym, not linked: the addon ships without libvips headers or libraries and
// uses whichever build sharp brought. The few entry points below are libvips' stable C API (8.x).
#include "image/vips_decode.h"

#include <cstring>
#include <string>

#include "core/errors.h"

#if defined(__linux__)
#include <dlfcn.h>
#include <link.h>
#endif

namespace vl2::image {
namespace {

// libvips' enum values (vips/image.h, vips/foreign.h), stable across 8.x.
constexpr int kFormatUchar = 0;          // VIPS_FORMAT_UCHAR
constexpr int kInterpretationSrgb = 22;  // VIPS_INTERPRETATION_sRGB
constexpr int kAccessSequential = 1;     // VIPS_ACCESS_SEQUENTIAL, sharp's default for one pass
constexpr int kFailOnWarning = 3;        // VIPS_FAIL_ON_WARNING, sharp's default failOn
constexpr int kIntentPerceptual = 0;     // VIPS_INTENT_PERCEPTUAL

// The loaders whose output sharp uses as it is for these options (sharp sets more for SVG, PDF, TIFF,
// JPEG 2000 and multi-page HEIF); an image of another format goes through sharp.
// Class names, as vips_foreign_find_load_buffer gives them (Spng: libvips built with libspng).
constexpr const char* kPlainLoaders[] = {"VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadSpng",
                                         "VipsForeignLoadWebp"};

struct VipsApi {
  void* (*newFromBuffer)(const void* data, std::size_t length, const char* options, ...);
  void* (*newFromMemory)(const void* data, std::size_t size, int width, int height, int bands, int format);
  const char* (*findLoader)(const void* data, std::size_t length);
  int (*iccTransform)(void* in, void** out, const char* outputProfile, ...);
  int (*write)(void* image, void* out);
  void (*unref)(void* object);
  void (*errorClear)();
  int (*width)(const void* image);
  int (*height)(const void* image);
  int (*bands)(const void* image);
  int (*format)(const void* image);
  int (*interpretation)(const void* image);
  unsigned long (*fieldType)(const void* image, const char* name);  // a GType; 0 when absent
};

#if defined(__linux__)
// The file name of the loaded libvips (sharp's libvips-cpp.so.*, or a system libvips.so.*).
int findLibvips(dl_phdr_info* info, std::size_t, void* found) {
  const char* name = info->dlpi_name;
  const char* base = name != nullptr ? std::strrchr(name, '/') : nullptr;
  base = base != nullptr ? base + 1 : name;
  if (base != nullptr &&
      (std::strncmp(base, "libvips-cpp.so", 14) == 0 || std::strncmp(base, "libvips.so", 10) == 0)) {
    *static_cast<std::string*>(found) = name;
    return 1;
  }
  return 0;
}

template <typename Function>
bool bind(void* library, const char* symbol, Function& function) {
  function = reinterpret_cast<Function>(dlsym(library, symbol));
  return function != nullptr;
}

std::optional<VipsApi> loadApi() {
  std::string path;
  dl_iterate_phdr(findLibvips, &path);
  if (path.empty()) return std::nullopt;
  void* library = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);  // a handle to the copy already loaded
  if (library == nullptr) return std::nullopt;
  VipsApi api{};
  const bool complete =
      bind(library, "vips_image_new_from_buffer", api.newFromBuffer) &&
      bind(library, "vips_image_new_from_memory", api.newFromMemory) &&
      bind(library, "vips_foreign_find_load_buffer", api.findLoader) &&
      bind(library, "vips_icc_transform", api.iccTransform) && bind(library, "vips_image_write", api.write) &&
      bind(library, "g_object_unref", api.unref) && bind(library, "vips_error_clear", api.errorClear) &&
      bind(library, "vips_image_get_width", api.width) &&
      bind(library, "vips_image_get_height", api.height) &&
      bind(library, "vips_image_get_bands", api.bands) &&
      bind(library, "vips_image_get_format", api.format) &&
      bind(library, "vips_image_get_interpretation", api.interpretation) &&
      bind(library, "vips_image_get_typeof", api.fieldType);
  if (!complete) return std::nullopt;
  return api;
}
#else
std::optional<VipsApi> loadApi() { return std::nullopt; }
#endif

// Looked up on first use, after sharp (which vips_init()s the library) has been imported.
const std::optional<VipsApi>& api() {
  static const std::optional<VipsApi> loaded = loadApi();
  return loaded;
}

// Owns one VipsImage reference.
class VipsImageRef {
 public:
  VipsImageRef(const VipsApi& api, void* image) : api_(api), image_(image) {}
  ~VipsImageRef() {
    if (image_ != nullptr) api_.unref(image_);
  }
  VipsImageRef(const VipsImageRef&) = delete;
  VipsImageRef& operator=(const VipsImageRef&) = delete;
  void* get() const { return image_; }

 private:
  const VipsApi& api_;
  void* image_;
};

// Any failure of libvips here (data it cannot read, a truncated file, an option an older libvips lacks)
// hands the image to sharp's pipeline, which decodes it if it can and otherwise refuses it with sharp's
// own message: bad images cost a second, quick failure, and a libvips that differs from what this file
// expects can only make decoding slower, never refuse an image sharp reads.
std::optional<RgbImage> leaveToSharp(const VipsApi& api) {
  api.errorClear();
  return std::nullopt;
}

// What sharp's pipeline does to an 8-bit RGB image with an embedded ICC profile (src/pipeline.cc): a
// transform to sRGB with the profile, perceptual intent, 8 bits; if libvips refuses the profile, the
// pixels stay as they are (sharp warns and goes on). nullptr in that case.
void* toSrgbWithEmbeddedProfile(const VipsApi& vips, void* image) {
  void* transformed = nullptr;
  if (vips.iccTransform(image, &transformed, "srgb", "embedded", 1, "depth", 8, "intent", kIntentPerceptual,
                        nullptr) != 0) {
    vips.errorClear();
    return nullptr;
  }
  return transformed;
}

bool plainRgb(const VipsApi& vips, const void* image) {
  return vips.bands(image) == 3 && vips.format(image) == kFormatUchar &&
         vips.interpretation(image) == kInterpretationSrgb;
}

}  // namespace

bool vipsDecodeAvailable() { return api().has_value(); }

std::optional<RgbImage> decodePlainRgb(const std::uint8_t* bytes, std::size_t length,
                                       std::int64_t maxPixels) {
  if (!api()) return std::nullopt;
  const VipsApi& vips = *api();
  const char* loader = vips.findLoader(bytes, length);
  if (loader == nullptr) return leaveToSharp(vips);
  bool plainLoader = false;
  for (const char* plain : kPlainLoaders)
    plainLoader = plainLoader || std::strncmp(loader, plain, std::strlen(plain)) == 0;
  if (!plainLoader) return std::nullopt;
  // Reads the header only; the pixels are decoded by the write below.
  VipsImageRef image(vips, vips.newFromBuffer(bytes, length, "", "access", kAccessSequential, "fail_on",
                                              kFailOnWarning, nullptr));
  if (image.get() == nullptr) return leaveToSharp(vips);
  const int width = vips.width(image.get());
  const int height = vips.height(image.get());
  if (width <= 0 || height <= 0) fail(ErrorCode::kInvalidArgument, "the image has zero size");
  const std::int64_t pixels = static_cast<std::int64_t>(width) * height;
  if (pixels > maxPixels)
    fail(ErrorCode::kInvalidArgument, "the image has " + std::to_string(pixels) +
                                          " pixels, more than the limit of " + std::to_string(maxPixels));
  if (!plainRgb(vips, image.get())) return std::nullopt;
  const bool hasProfile = vips.fieldType(image.get(), "icc-profile-data") != 0;
  VipsImageRef transformed(vips, hasProfile ? toSrgbWithEmbeddedProfile(vips, image.get()) : nullptr);
  void* source = transformed.get() != nullptr ? transformed.get() : image.get();
  if (!plainRgb(vips, source) || vips.width(source) != width || vips.height(source) != height)
    return std::nullopt;
  const std::size_t bytesOut = static_cast<std::size_t>(pixels) * 3;
  RgbImage decoded{width, height, newPixels(bytesOut)};
  VipsImageRef target(vips, vips.newFromMemory(decoded.data.get(), bytesOut, width, height, 3, kFormatUchar));
  if (target.get() == nullptr || vips.write(source, target.get()) != 0) return leaveToSharp(vips);
  return decoded;
}

}  // namespace vl2::image
