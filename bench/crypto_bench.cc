// What per-event encryption costs the processor, without the noise of a server run: sealing
// and opening one event (data ‖ metadata as one AES-256-GCM message, as EventCipher does) of
// 20, 200 and 4,096 bytes, and a nonce from the key store's counter. Figures go to
// docs/benchmarks.md (Encryption).

#include <benchmark/benchmark.h>

#include <cstring>

#include "storage/aead.h"
#include "storage/event_cipher.h"

namespace cairn {
namespace {

void BM_SealEvent(benchmark::State& state) {
  crypto::Key key;
  (void)crypto::RandomBytes(key.data(), key.size());
  std::string plain(static_cast<size_t>(state.range(0)), 'x');
  std::string aad = EventAad("acme/order/42", "OrderPlaced");
  crypto::Nonce nonce{};
  std::string ct;
  crypto::Tag tag;
  uint64_t n = 0;
  for (auto _ : state) {
    std::memcpy(nonce.data() + 4, &n, sizeof(n));
    ++n;
    benchmark::DoNotOptimize(crypto::Seal(key, nonce, aad, plain, &ct, &tag));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_SealEvent)->Arg(20)->Arg(200)->Arg(4096);

void BM_OpenEvent(benchmark::State& state) {
  crypto::Key key;
  (void)crypto::RandomBytes(key.data(), key.size());
  std::string plain(static_cast<size_t>(state.range(0)), 'x');
  std::string aad = EventAad("acme/order/42", "OrderPlaced");
  crypto::Nonce nonce{};
  std::string ct, back;
  crypto::Tag tag;
  (void)crypto::Seal(key, nonce, aad, plain, &ct, &tag);
  for (auto _ : state) benchmark::DoNotOptimize(crypto::Open(key, nonce, aad, ct, tag, &back));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_OpenEvent)->Arg(20)->Arg(200)->Arg(4096);

}  // namespace
}  // namespace cairn

BENCHMARK_MAIN();
