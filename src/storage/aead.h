#pragma once
// AES-256-GCM through OpenSSL's EVP interface, and the random bytes keys and nonces come
// from. Used by the master key check, the key store (wrapping data keys) and event
// encryption; docs/internals/encryption.md says which key and nonce each uses.
// Stateless and thread-safe.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "cairn/status.h"

namespace cairn::crypto {

inline constexpr size_t kKeyBytes = 32;    // AES-256
inline constexpr size_t kNonceBytes = 12;  // the 96-bit GCM nonce
inline constexpr size_t kTagBytes = 16;    // the full 128-bit GCM tag
using Key = std::array<uint8_t, kKeyBytes>;
using Nonce = std::array<uint8_t, kNonceBytes>;
using Tag = std::array<uint8_t, kTagBytes>;

// Encrypts `plaintext` (any length, also empty) under key and nonce; `aad` is authenticated,
// not encrypted. *ciphertext gets exactly plaintext.size() bytes. The caller guarantees that
// (key, nonce) is never used twice.
Status Seal(const Key& key, const Nonce& nonce, std::string_view aad, std::string_view plaintext,
            std::string* ciphertext, Tag* tag);
// Decrypts and authenticates; kCorruption when the tag does not match (wrong key, or the
// nonce, aad, ciphertext or tag changed).
Status Open(const Key& key, const Nonce& nonce, std::string_view aad, std::string_view ciphertext,
            const Tag& tag, std::string* plaintext);

// Cryptographically strong random bytes (OpenSSL's CSPRNG).
Status RandomBytes(void* out, size_t n);
// Overwrites key material in a way the compiler may not remove.
void Wipe(void* p, size_t n);

}  // namespace cairn::crypto
