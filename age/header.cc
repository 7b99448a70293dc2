#include "age/header.h"

#include "age/base64.h"
#include "age/errors.h"

namespace conclave::age {

namespace {

constexpr size_t kColumns = 64;  // base64 body lines are wrapped at 64
constexpr std::string_view kMacPrefix = "--- ";
constexpr std::string_view kStanzaPrefix = "-> ";

Status HeaderError(std::string m) {
  return AgeError(ErrorKind::kHeader, std::move(m));
}

// argument = 1*VCHAR (%x21-7E).
bool IsValidArgument(std::string_view a) {
  if (a.empty()) return false;
  for (char c : a) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Reads one line, within what is left of the header budget.
Status ReadHeaderLine(BufferedReader& in, size_t used, std::string* line) {
  line->clear();
  Status s = in.ReadLine(kMaxHeaderSize - used, line);
  if (s.ok()) return s;
  if (s.code() == StatusCode::kOutOfRange) {
    return HeaderError("header larger than 1 MiB");
  }
  if (s.code() == StatusCode::kDataLoss) {
    return HeaderError("header truncated (no newline at end of line)");
  }
  return s;  // an I/O error from the underlying reader
}

}  // namespace

ByteSpan Header::MacInput() const {
  // The MAC line is "--- " + 43 base64 characters + "\n"; the MAC covers the
  // header through "---", excluding the space.
  const size_t tail = 1 + Base64EncodedSize(kHeaderMacSize) + 1;
  return ByteSpan(bytes).first(bytes.size() - tail);
}

StatusOr<std::string> EncodeStanza(const Stanza& stanza) {
  if (!IsValidArgument(stanza.type)) {
    return AgeError(ErrorKind::kUsage, "stanza type is not 1*VCHAR");
  }
  std::string out(kStanzaPrefix);
  out += stanza.type;
  for (const std::string& a : stanza.args) {
    if (!IsValidArgument(a)) {
      return AgeError(ErrorKind::kUsage, "stanza argument is not 1*VCHAR");
    }
    out += ' ';
    out += a;
  }
  out += '\n';
  const std::string body = Base64Encode(stanza.body);
  // Full 64-column lines, then a final shorter (possibly empty) line.
  size_t i = 0;
  for (; i + kColumns <= body.size(); i += kColumns) {
    out.append(body, i, kColumns);
    out += '\n';
  }
  out.append(body, i, std::string::npos);
  out += '\n';
  return out;
}

StatusOr<Sha256Digest> ComputeHeaderMac(ByteSpan mac_input,
                                        const SecretBytes& file_key) {
  CONCLAVE_ASSIGN_OR_RETURN(
      SecretBytes hmac_key,
      HkdfSha256(ByteSpan(), file_key.span(), AsBytes("header"), 32));
  return HmacSha256(hmac_key.span(), mac_input);
}

StatusOr<Header> BuildHeader(std::vector<Stanza> stanzas,
                             const SecretBytes& file_key) {
  if (file_key.size() != kFileKeySize) {
    return AgeError(ErrorKind::kUsage, "file key must be 16 bytes");
  }
  if (stanzas.empty() || stanzas.size() > kMaxStanzas) {
    return AgeError(ErrorKind::kUsage, "a header needs 1 to 1024 stanzas");
  }
  std::string text(kVersionLine);
  for (const Stanza& s : stanzas) {
    CONCLAVE_ASSIGN_OR_RETURN(std::string line, EncodeStanza(s));
    text += line;
  }
  text += "---";
  CONCLAVE_ASSIGN_OR_RETURN(Sha256Digest mac,
                            ComputeHeaderMac(AsBytes(text), file_key));
  text += ' ';
  text += Base64Encode(mac);
  text += '\n';
  if (text.size() > kMaxHeaderSize) {
    return AgeError(ErrorKind::kUsage, "header would exceed 1 MiB");
  }
  Header h;
  h.stanzas = std::move(stanzas);
  h.mac.assign(mac.begin(), mac.end());
  h.bytes = ToBytes(text);
  return h;
}

Status VerifyHeaderMac(const Header& header, const SecretBytes& file_key) {
  if (file_key.size() != kFileKeySize) {
    return HeaderError("file key is not 16 bytes");
  }
  CONCLAVE_ASSIGN_OR_RETURN(Sha256Digest mac,
                            ComputeHeaderMac(header.MacInput(), file_key));
  if (!ConstantTimeEquals(mac, header.mac)) {
    return AgeError(ErrorKind::kHmac, "header MAC does not verify");
  }
  return OkStatus();
}

StatusOr<Header> ReadHeader(BufferedReader& in) {
  Header h;
  std::string text;  // all header bytes so far
  std::string line;

  CONCLAVE_RETURN_IF_ERROR(ReadHeaderLine(in, 0, &line));
  if (line != kVersionLine) {
    return HeaderError(line.starts_with("age-encryption.org/")
                           ? "unsupported age version"
                           : "not an age file (bad version line)");
  }
  text += line;

  // Stanzas until the MAC line.
  for (;;) {
    CONCLAVE_RETURN_IF_ERROR(ReadHeaderLine(in, text.size(), &line));
    text += line;
    std::string_view l(line);
    l.remove_suffix(1);  // the '\n'
    if (l.starts_with("---")) {
      // end = "--- " 43base64char LF
      if (!l.starts_with(kMacPrefix)) {
        return HeaderError("malformed MAC line");
      }
      if (h.stanzas.empty()) return HeaderError("header has no stanzas");
      std::string_view b64 = l.substr(kMacPrefix.size());
      if (b64.size() != Base64EncodedSize(kHeaderMacSize)) {
        return HeaderError("MAC line has the wrong length");
      }
      auto mac = Base64Decode(b64);
      if (!mac.ok()) {
        return HeaderError("MAC is not canonical base64: " +
                           mac.status().message());
      }
      h.mac = std::move(mac).value();
      break;
    }
    if (!l.starts_with(kStanzaPrefix)) {
      return HeaderError("expected a stanza (\"-> \") or the MAC line");
    }
    if (h.stanzas.size() == kMaxStanzas) {
      return HeaderError("more than 1024 stanzas");
    }
    // arg-line = "-> " argument *(SP argument) LF
    Stanza st;
    std::string_view rest = l.substr(kStanzaPrefix.size());
    std::vector<std::string> args;
    for (;;) {
      const size_t sp = rest.find(' ');
      std::string_view a = rest.substr(0, sp);
      if (!IsValidArgument(a)) {
        return HeaderError("stanza argument is empty or not VCHAR");
      }
      args.emplace_back(a);
      if (sp == std::string_view::npos) break;
      rest = rest.substr(sp + 1);
    }
    st.type = std::move(args.front());
    st.args.assign(std::make_move_iterator(args.begin() + 1),
                   std::make_move_iterator(args.end()));
    // *full-line final-line; each full line holds exactly 48 bytes, so the
    // lines decode independently and only the last can be non-canonical.
    for (;;) {
      CONCLAVE_RETURN_IF_ERROR(ReadHeaderLine(in, text.size(), &line));
      text += line;
      std::string_view b(line);
      b.remove_suffix(1);
      if (b.size() > kColumns) {
        return HeaderError("stanza body line longer than 64 columns");
      }
      for (char c : b) {
        if (!IsBase64Char(c)) {
          return HeaderError("stanza body has a non-base64 character");
        }
      }
      auto decoded = Base64Decode(b);
      if (!decoded.ok()) {
        return HeaderError("stanza body is not canonical base64: " +
                           decoded.status().message());
      }
      st.body.insert(st.body.end(), decoded->begin(), decoded->end());
      if (b.size() < kColumns) break;
    }
    h.stanzas.push_back(std::move(st));
  }
  h.bytes = ToBytes(text);
  return h;
}

StatusOr<Header> ParseHeader(ByteSpan data, size_t* consumed) {
  MemoryReader mem(data);
  BufferedReader in(mem);
  CONCLAVE_ASSIGN_OR_RETURN(Header h, ReadHeader(in));
  if (consumed) *consumed = h.bytes.size();
  return h;
}

}  // namespace conclave::age
