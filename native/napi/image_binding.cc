// Image preprocessing bindings: arguments checked and translated, the work queued on the image pool
// (image_task.h) so the JS thread never waits on a decode or a resize. The pixels are read and the
// tiles written in place (no copies); references keep the buffers alive until the promise settles.
// Images decoded here stay in native memory: JavaScript holds only a small handle (no external memory
// for V8 to count).
#include "napi/image_binding.h"

#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "image/image_pool.h"
#include "image/release_pages.h"
#include "image/resample.h"
#include "image/tiling.h"
#include "image/vips_decode.h"
#include "napi/image_task.h"
#include "napi/js_errors.h"

namespace vl2::napi {
namespace {

Napi::Uint8Array uint8ArrayArgument(const Napi::Value& value, const char* name) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    fail(ErrorCode::kInvalidArgument, std::string(name) + " must be a Uint8Array");
  return value.As<Napi::Uint8Array>();
}

int intArgument(const Napi::Value& value, const char* name) {
  if (!value.IsNumber()) fail(ErrorCode::kInvalidArgument, std::string(name) + " must be a number");
  const double number = value.As<Napi::Number>().DoubleValue();
  if (number != static_cast<double>(static_cast<int>(number)) || number < 0)
    fail(ErrorCode::kInvalidArgument, std::string(name) + " must be a non-negative integer");
  return static_cast<int>(number);
}

using DecodedHandle = Napi::External<image::RgbImage>;

// Marks the handles decodeImage makes, so tileImage never reads another addon's External as one.
constexpr napi_type_tag kDecodedTag = {0x76b2a1d0c3e94f58ULL, 0x9d4e6a7b1c2f3e05ULL};

// decodeImage(bytes, maxPixels): Promise<{ pixels, width, height } | undefined>; pixels is a handle for
// tileImage, undefined when the image needs sharp's conversions (see image/vips_decode.h).
Napi::Value decodeImage(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Uint8Array bytes = uint8ArrayArgument(info[0], "bytes");
    const double maxPixelsArgument = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
    if (!(maxPixelsArgument >= 0)) fail(ErrorCode::kInvalidArgument, "maxPixels must be a number >= 0");
    // Past 2^62 (or Infinity) the limit cannot be reached anyway.
    const std::int64_t maxPixels = maxPixelsArgument < 0x1p62 ? static_cast<std::int64_t>(maxPixelsArgument)
                                                              : std::numeric_limits<std::int64_t>::max();
    auto keepAlive = std::make_shared<Napi::Reference<Napi::Value>>(Napi::Persistent(info[0]));
    using Decoded = std::shared_ptr<std::optional<image::RgbImage>>;
    return runOnImagePool<Decoded>(
        info.Env(),
        [data = bytes.Data(), length = bytes.ByteLength(), maxPixels]() {
          return std::make_shared<std::optional<image::RgbImage>>(
              image::decodePlainRgb(data, length, maxPixels));
        },
        [keepAlive](Napi::Env env, Decoded& decoded) -> Napi::Value {
          keepAlive->Reset();
          if (!decoded->has_value()) return env.Undefined();
          Napi::Object result = Napi::Object::New(env);
          result.Set("width", (*decoded)->width);
          result.Set("height", (*decoded)->height);
          DecodedHandle handle =
              DecodedHandle::New(env, new image::RgbImage(std::move(**decoded)),
                                 [](Napi::Env, image::RgbImage* pixels) { delete pixels; });
          handle.TypeTag(&kDecodedTag);
          result.Set("pixels", handle);
          return result;
        });
  });
}

// The pixels tileImage reads: a Uint8Array (kept alive by a reference), or a decodeImage handle whose
// memory the task takes over and frees on the worker once tiled.
struct TileSource {
  image::RgbView view;
  std::shared_ptr<image::RgbImage> owned;
  std::size_t bytes = 0;
};

TileSource tileSource(const Napi::CallbackInfo& info) {
  if (info[0].IsExternal()) {
    if (!info[0].As<DecodedHandle>().CheckTypeTag(&kDecodedTag))
      fail(ErrorCode::kInvalidArgument, "rgb must be a Uint8Array or an image from decodeImage");
    image::RgbImage* handle = info[0].As<DecodedHandle>().Data();
    if (handle == nullptr || handle->data == nullptr)
      fail(ErrorCode::kInvalidArgument, "the decoded image was already tiled");
    auto owned = std::make_shared<image::RgbImage>(std::move(*handle));
    const image::RgbView view = owned->view();
    return {view, owned, static_cast<std::size_t>(owned->width) * owned->height * 3};
  }
  Napi::Uint8Array rgb = uint8ArrayArgument(info[0], "rgb");
  return {{rgb.Data(), 0, 0}, nullptr, rgb.ByteLength()};
}

// tileImage(rgb | decoded, width, height, canvasWidth, canvasHeight, fill [r, g, b], out, outOffset,
// releaseRgb): Promise<void>; releaseRgb: rgb's pages go back to the OS once tiled (it then reads as
// zeros). A decoded handle is always consumed.
Napi::Value tileImage(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    TileSource source = tileSource(info);
    const image::RgbView view{source.view.data, intArgument(info[1], "width"),
                              intArgument(info[2], "height")};
    const int canvasWidth = intArgument(info[3], "canvasWidth");
    const int canvasHeight = intArgument(info[4], "canvasHeight");
    if (!info[5].IsArray() || info[5].As<Napi::Array>().Length() != 3)
      fail(ErrorCode::kInvalidArgument, "fill must be [r, g, b]");
    image::RgbFill fill;
    for (uint32_t c = 0; c < 3; ++c)
      fill[c] = static_cast<std::uint8_t>(intArgument(info[5].As<Napi::Array>()[c], "fill"));
    Napi::Uint8Array out = uint8ArrayArgument(info[6], "out");
    const std::size_t offset = static_cast<std::size_t>(intArgument(info[7], "outOffset"));
    const bool releaseRgb = info[8].IsBoolean() && info[8].As<Napi::Boolean>().Value();
    if (source.owned && (view.width != source.owned->width || view.height != source.owned->height))
      fail(ErrorCode::kInvalidArgument, "width and height must be the decoded image's");
    if (static_cast<std::size_t>(view.width) * view.height * 3 > source.bytes)
      fail(ErrorCode::kInvalidArgument, "rgb holds fewer than width * height * 3 bytes");
    const std::size_t tiles =
        1 + static_cast<std::size_t>(canvasWidth / image::kTileSide) * (canvasHeight / image::kTileSide);
    if (offset + tiles * image::kTileBytes > out.ByteLength())
      fail(ErrorCode::kInvalidArgument,
           "out has no room for " + std::to_string(tiles) + " tiles at outOffset");
    std::uint8_t* target = out.Data() + offset;
    auto keepAlive = std::make_shared<std::pair<Napi::Reference<Napi::Value>, Napi::Reference<Napi::Value>>>(
        Napi::Persistent(info[0]), Napi::Persistent(info[6]));
    return runOnImagePool<bool>(
        info.Env(),
        [view, canvasWidth, canvasHeight, fill, target, releaseRgb, owned = source.owned,
         rgbBytes = source.bytes]() mutable {
          image::writeTiles(image::imagePool(), view, canvasWidth, canvasHeight, fill, target);
          if (owned)
            owned.reset();  // the last reference: the decoded image is freed here, off the JS thread
          else if (releaseRgb)
            image::releasePages(const_cast<std::uint8_t*>(view.data), rgbBytes);
          return true;
        },
        [keepAlive](Napi::Env env, bool&) -> Napi::Value {
          keepAlive->first.Reset();
          keepAlive->second.Reset();
          return env.Undefined();
        });
  });
}

Napi::Value imageThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), image::imagePoolThreads());
}

// setImageThreads(threads): 0 restores the default.
Napi::Value setImageThreads(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    image::setImagePoolThreads(intArgument(info[0], "threads"));
    return info.Env().Undefined();
  });
}

// imageDecoder(): "libvips" when decodeImage can decode (sharp's libvips found), else "sharp".
Napi::Value imageDecoder(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), image::vipsDecodeAvailable() ? "libvips" : "sharp");
}

Napi::Value imageKernels(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), image::resampleUsesAvx2() ? "avx2" : "portable");
}

}  // namespace

void registerImage(Napi::Env env, Napi::Object exports) {
  exports.Set("decodeImage", Napi::Function::New(env, decodeImage, "decodeImage"));
  exports.Set("imageDecoder", Napi::Function::New(env, imageDecoder, "imageDecoder"));
  exports.Set("tileImage", Napi::Function::New(env, tileImage, "tileImage"));
  exports.Set("imageThreads", Napi::Function::New(env, imageThreads, "imageThreads"));
  exports.Set("setImageThreads", Napi::Function::New(env, setImageThreads, "setImageThreads"));
  exports.Set("imageKernels", Napi::Function::New(env, imageKernels, "imageKernels"));
}

}  // namespace vl2::napi
