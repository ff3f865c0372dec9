#include "storage/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <climits>
#include <memory>

namespace cairn::crypto {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

bool FitsInt(size_t n) { return n <= static_cast<size_t>(INT_MAX); }

// Fetched once: OpenSSL 3 otherwise looks the implementation up in its provider store (under
// a lock) on every init.
const EVP_CIPHER* Aes256Gcm() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher != nullptr ? cipher : EVP_aes_256_gcm();
}

}  // namespace

Status Seal(const Key& key, const Nonce& nonce, std::string_view aad, std::string_view plaintext,
            std::string* ciphertext, Tag* tag) {
  if (!FitsInt(aad.size()) || !FitsInt(plaintext.size())) return Status::Invalid("too large");
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  ciphertext->resize(plaintext.size());
  auto* out = reinterpret_cast<unsigned char*>(ciphertext->data());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), Aes256Gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data()) != 1 ||
      (!aad.empty() &&
       EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1) ||
      (!plaintext.empty() && EVP_EncryptUpdate(ctx.get(), out, &len, U(plaintext),
                                               static_cast<int>(plaintext.size())) != 1) ||
      EVP_EncryptFinal_ex(ctx.get(), out + plaintext.size(), &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag->data()) != 1) {
    return Status::IoError("AES-256-GCM encryption failed (OpenSSL)");
  }
  return Status::Ok();
}

Status Open(const Key& key, const Nonce& nonce, std::string_view aad, std::string_view ciphertext,
            const Tag& tag, std::string* plaintext) {
  if (!FitsInt(aad.size()) || !FitsInt(ciphertext.size())) return Status::Invalid("too large");
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  plaintext->resize(ciphertext.size());
  auto* out = reinterpret_cast<unsigned char*>(plaintext->data());
  Tag t = tag;  // EVP's SET_TAG takes a non-const pointer
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), Aes256Gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data()) != 1 ||
      (!aad.empty() &&
       EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1) ||
      (!ciphertext.empty() && EVP_DecryptUpdate(ctx.get(), out, &len, U(ciphertext),
                                                static_cast<int>(ciphertext.size())) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, t.data()) != 1) {
    return Status::IoError("AES-256-GCM decryption failed (OpenSSL)");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), out + ciphertext.size(), &len) != 1) {
    Wipe(plaintext->data(), plaintext->size());
    plaintext->clear();
    return Status::Corruption("AES-256-GCM authentication failed (wrong key or altered bytes)");
  }
  return Status::Ok();
}

Status RandomBytes(void* out, size_t n) {
  if (!FitsInt(n) || RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(n)) != 1) {
    return Status::IoError("OpenSSL RAND_bytes failed");
  }
  return Status::Ok();
}

void Wipe(void* p, size_t n) { OPENSSL_cleanse(p, n); }

}  // namespace cairn::crypto
