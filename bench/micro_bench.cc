// Raw rates the server's hot path is built from, measured in the same run as
// the HTTP benchmarks (bench/run.py): Ed25519 signatures, license key issue
// (alone and in batches), and durable SQLite commits (WAL,
// synchronous=FULL: one fsync each).
#include <benchmark/benchmark.h>

#include <filesystem>

#include "core/activation_code.h"
#include "core/crypto.h"
#include "core/license_key.h"
#include "store/sqlite/sqlite_handle.h"

namespace licentia {
namespace {

void BM_Ed25519Sign(benchmark::State& state) {
  auto kp = crypto::GenerateSigningKeyPair();
  std::vector<std::uint8_t> msg(160, 7);
  for (auto _ : state) {
    benchmark::DoNotOptimize(crypto::Sign(msg, kp.secret_key));
  }
}
BENCHMARK(BM_Ed25519Sign);

void BM_IssueLicenseKey(benchmark::State& state) {
  auto kp = crypto::GenerateSigningKeyPair();
  LicenseKeyPayload p;
  p.product = "photo-studio";
  p.edition = "pro";
  p.code_id = "123456";
  p.device_binding = DeviceBinding("fingerprint");
  for (auto _ : state) {
    benchmark::DoNotOptimize(IssueLicenseKey(p, kp));
  }
}
BENCHMARK(BM_IssueLicenseKey);

// Format 2: sixteen keys, one signature (bench/run.py reports keys/s).
void BM_IssueLicenseKeyBatch(benchmark::State& state) {
  auto kp = crypto::GenerateSigningKeyPair();
  std::vector<LicenseKeyPayload> batch(16);
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i].product = "photo-studio";
    batch[i].edition = "pro";
    batch[i].code_id = std::to_string(123456 + i);
    batch[i].device_binding = DeviceBinding("fingerprint-" + std::to_string(i));
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(IssueLicenseKeyBatch(batch, kp));
  }
}
BENCHMARK(BM_IssueLicenseKeyBatch);

void BM_ParseActivationCode(benchmark::State& state) {
  std::string code = ActivationCode::Generate().Formatted();
  for (auto _ : state) {
    benchmark::DoNotOptimize(ActivationCode::Parse(code));
  }
}
BENCHMARK(BM_ParseActivationCode);

void BM_SqliteDurableCommit(benchmark::State& state) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "licentia-bench-commit.db")
          .string();
  auto remove_database = [&] {
    for (auto s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  };
  remove_database();
  auto conn = *store::sqlite::Connection::Open(path, false);
  (void)conn->Exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
      "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
  std::int64_t i = 0;
  for (auto _ : state) {
    (void)conn->Exec("BEGIN IMMEDIATE");
    auto q = *conn->Prepare("INSERT INTO t(v) VALUES (?1)");
    q.Bind(1, ++i);
    (void)q.Run();
    (void)conn->Exec("COMMIT");
  }
  conn.reset();
  remove_database();
}
BENCHMARK(BM_SqliteDurableCommit)->UseRealTime();

}  // namespace
}  // namespace licentia

BENCHMARK_MAIN();
