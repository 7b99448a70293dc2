#include "crypto/hash_to_field.h"

#include <cstdio>
#include <cstdlib>

#include "crypto/hash.h"

namespace conclave {

namespace {

constexpr size_t kBlockSize = 64;  // s_in_bytes: SHA-256 input block size
constexpr size_t kHashSize = kSha256Size;  // b_in_bytes

// Moves a digest into `out` and wipes the stack copy: b_0 and b_i are
// functions of a possibly secret message.
void AppendAndWipe(SecretBytes& out, Sha256Digest& digest) {
  out.Append(digest);
  CleanseMemory(digest.data(), digest.size());
}

}  // namespace

StatusOr<SecretBytes> ExpandMessageXmdSha256(
    std::initializer_list<ByteSpan> msg_parts, ByteSpan dst,
    size_t len_in_bytes) {
  // RFC 9380 §5.3.1 step 2: ell > 255 or len_in_bytes > 65535 aborts; with
  // 32-byte blocks ell <= 255 already implies len_in_bytes <= 8160.
  const size_t ell = (len_in_bytes + kHashSize - 1) / kHashSize;
  if (len_in_bytes == 0) {
    return InvalidArgumentError("expand_message_xmd: zero output length");
  }
  if (ell > 255 || len_in_bytes > 65535) {
    return InvalidArgumentError(
        "expand_message_xmd: output length exceeds 255 * 32 bytes");
  }
  if (dst.empty()) {
    return InvalidArgumentError("expand_message_xmd: empty DST");
  }
  if (dst.size() > kMaxDstSize) {
    // §5.3.3 would hash such a DST; Conclave rejects it instead.
    return InvalidArgumentError(
        "expand_message_xmd: DST longer than 255 bytes");
  }
  const uint8_t dst_len = static_cast<uint8_t>(dst.size());
  const uint8_t zero_pad[kBlockSize] = {};
  const uint8_t l_i_b_str[2] = {static_cast<uint8_t>(len_in_bytes >> 8),
                                static_cast<uint8_t>(len_in_bytes)};
  const uint8_t zero = 0;

  // b_0 = H(Z_pad || msg || l_i_b_str || I2OSP(0, 1) || DST_prime), where
  // DST_prime = DST || I2OSP(len(DST), 1).
  Sha256Hasher h;
  h.Update(ByteSpan(zero_pad, kBlockSize));
  for (ByteSpan part : msg_parts) h.Update(part);
  h.Update(ByteSpan(l_i_b_str, 2));
  h.Update(ByteSpan(&zero, 1));
  h.Update(dst);
  h.Update(ByteSpan(&dst_len, 1));
  SecretBytes b0;
  {
    Sha256Digest d = h.Finish();
    AppendAndWipe(b0, d);
  }

  // b_1 = H(b_0 || I2OSP(1, 1) || DST_prime);
  // b_i = H(strxor(b_0, b_(i-1)) || I2OSP(i, 1) || DST_prime).
  SecretBytes uniform;
  SecretBytes chain(kHashSize);  // strxor(b_0, b_(i-1)), or b_0 for i = 1
  for (size_t i = 1; i <= ell; ++i) {
    for (size_t j = 0; j < kHashSize; ++j) {
      chain[j] =
          i == 1
              ? b0[j]
              : static_cast<uint8_t>(b0[j] ^ uniform[(i - 2) * kHashSize + j]);
    }
    const uint8_t counter = static_cast<uint8_t>(i);
    h.Update(chain.span());
    h.Update(ByteSpan(&counter, 1));
    h.Update(dst);
    h.Update(ByteSpan(&dst_len, 1));
    Sha256Digest d = h.Finish();
    AppendAndWipe(uniform, d);
  }
  uniform.Resize(len_in_bytes);
  return uniform;
}

StatusOr<SecretBytes> ExpandMessageXmdSha256(ByteSpan msg, ByteSpan dst,
                                             size_t len_in_bytes) {
  return ExpandMessageXmdSha256({msg}, dst, len_in_bytes);
}

Scalar HashToScalar(std::initializer_list<ByteSpan> msg_parts, ByteSpan dst) {
  StatusOr<SecretBytes> uniform =
      ExpandMessageXmdSha256(msg_parts, dst, kHashToScalarExpandSize);
  if (!uniform.ok()) {
    // Only a bad DST can fail here (the length is fixed): a programming error.
    std::fputs("conclave: HashToScalar called with an invalid DST\n", stderr);
    std::abort();
  }
  // RFC 9380 §5.2: e_j = OS2IP(tv) mod p, here with p = n.
  return Scalar::FromBytesModOrder(uniform->span());
}

Scalar HashToScalar(ByteSpan msg, ByteSpan dst) {
  return HashToScalar({msg}, dst);
}

}  // namespace conclave
