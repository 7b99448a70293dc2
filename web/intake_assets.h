// The intake page (web/), bundled by esbuild at build time and embedded into
// the program as byte arrays, so conclaved serves it without reading files
// and without any third-party host (brief §8).
#ifndef CONCLAVE_WEB_INTAKE_ASSETS_H_
#define CONCLAVE_WEB_INTAKE_ASSETS_H_

#include <span>
#include <string_view>

namespace conclave::web {

struct IntakeAsset {
  std::string_view path;          // "/" for index.html, else "/app.js", ...
  std::string_view content_type;  // with "; charset=utf-8" for text
  std::string_view body;
};

// Every file of the built page. The storage is static.
std::span<const IntakeAsset> IntakeAssets();

}  // namespace conclave::web

#endif  // CONCLAVE_WEB_INTAKE_ASSETS_H_
