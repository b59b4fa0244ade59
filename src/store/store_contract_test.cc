// The storage contract, run against every backend. A backend is correct when
// it passes this suite unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace licentia::store {
namespace {

struct Backend {
  std::string name;
  // Opens a fresh, empty store at `dir`; opening twice reopens the same data.
  std::function<Result<std::unique_ptr<Store>>(const std::string& dir)> open;
};

// Each test gets a fresh store: a new SQLite file, or a new PostgreSQL
// database in the cluster scripts/test.sh starts (LICENTIA_TEST_POSTGRES_URL).
std::vector<Backend> Backends() {
  std::vector<Backend> out = {
      {"sqlite",
       [](const std::string& dir) {
         return sqlite::OpenSqliteStore({.path = dir + "/test.db"});
       }},
      // The writer on SQLite's own file layer (--sqlite-wal-buffer=false).
      {"sqlite_plain_wal", [](const std::string& dir) {
         return sqlite::OpenSqliteStore(
             {.path = dir + "/test.db", .wal_write_buffer = false});
       }}};
  const char* pg = std::getenv("LICENTIA_TEST_POSTGRES_URL");
  if (pg != nullptr && *pg != '\0') {
    out.push_back(
        {"postgres", [base = std::string(pg)](const std::string& dir) {
           // One database per test directory, created on first use.
           std::string name =
               "contract_" +
               std::to_string(std::hash<std::string>{}(dir) % 1000000000);
           auto url = base + "/" + name;
           if (!std::filesystem::exists(dir + "/.pg")) {
             auto admin = postgres::PgConnection::Connect(base + "/postgres");
             if (!admin.ok()) {
               return Result<std::unique_ptr<Store>>(admin.status());
             }
             (void)(*admin)->Exec("DROP DATABASE IF EXISTS " + name);
             Status st = (*admin)->Exec("CREATE DATABASE " + name);
             if (!st.ok()) return Result<std::unique_ptr<Store>>(st);
             std::ofstream(dir + "/.pg") << name;
           }
           return postgres::OpenPgStore({.url = url, .pool_size = 4});
         }});
  }
  return out;
}

void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

class StoreContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("licentia-store-" + std::to_string(::getpid()) + "-" +
            std::to_string(counter_++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = GetParam().open(dir_.string());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }

  // Runs `fn` in a write transaction and asserts success.
  void W(const std::function<void(Transaction&)>& fn) {
    Status st = store_->Write([&](Transaction& t) {
      fn(t);
      return Status::Ok();
    });
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  void R(const std::function<void(Transaction&)>& fn) {
    Status st = store_->Read([&](Transaction& t) {
      fn(t);
      return Status::Ok();
    });
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  std::int64_t MakeCode(Transaction& t, std::uint8_t tag, int max_devices = 3,
                        const std::string& product = "p") {
    std::int64_t batch = *t.InsertBatch({0, product, 1, "", 100});
    CodeRow c;
    c.code_hash[0] = tag;
    c.code_tail = "ABCDE";
    c.batch_id = batch;
    c.terms.product = product;
    c.terms.max_devices = max_devices;
    c.terms.features = {"a", "b"};
    c.terms.activate_by = 5000;
    c.terms.prepare_days = 14;
    c.created_at = 100;
    return *t.InsertCode(c);
  }

  // A code of product "p" in `batch` (a new one if 0), tagged `tag`, with
  // its terms as `terms` sets them.
  std::int64_t MakeCodeWith(Transaction& t, std::uint8_t tag,
                            const std::function<void(CodeTerms&)>& terms,
                            std::int64_t batch = 0) {
    if (batch == 0) batch = *t.InsertBatch({0, "p", 1, "", 100});
    CodeRow c;
    c.code_hash[0] = tag;
    c.code_tail = "ABCDE";
    c.batch_id = batch;
    c.terms.product = "p";
    terms(c.terms);
    return *t.InsertCode(c);
  }

  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreContractTest, Products) {
  W([](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "Product", 1, {}}).ok());
    ASSERT_TRUE(t.InsertProductVersion("p", "1.0", 2).ok());
    ASSERT_TRUE(t.InsertProductVersion("p", "2.0", 3).ok());
  });
  R([](Transaction& t) {
    auto p = *t.FindProduct("p");
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->name, "Product");
    EXPECT_EQ(p->versions, (std::vector<std::string>{"1.0", "2.0"}));
    EXPECT_FALSE(t.FindProduct("q")->has_value());
    EXPECT_EQ(t.ListProducts()->size(), 1u);
  });
  Status dup = store_->Write([](Transaction& t) {
    return t.InsertProduct({"p", "Again", 1, {}});
  });
  EXPECT_EQ(dup.code(), ErrorCode::kConflict);
}

TEST_P(StoreContractTest, CodesRoundTripEveryField) {
  std::int64_t id = 0;
  W([&](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    id = MakeCode(t, 7);
  });
  R([&](Transaction& t) {
    crypto::Hash h{};
    h[0] = 7;
    auto c = *t.FindCodeByHash(h);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->id, id);
    EXPECT_EQ(c->terms.features, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(c->terms.activate_by, 5000);
    EXPECT_EQ(c->terms.max_devices, 3);
    EXPECT_EQ(c->terms.prepare_days, 14);
    EXPECT_FALSE(c->first_activated_at.has_value());
    EXPECT_EQ(c->seats_used, 0);
    EXPECT_TRUE(t.FindCodeById(id)->has_value());
    EXPECT_FALSE(t.FindCodeById(id + 100)->has_value());
  });
}

// Rule 3: the earliest use. A later time never replaces an earlier one; an
// earlier one (a prepared reserve taken up sooner) does.
TEST_P(StoreContractTest, FirstActivationIsTheEarliest) {
  std::int64_t id = 0;
  W([&](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    id = MakeCode(t, 1);
    ASSERT_TRUE(t.SetFirstActivation(id, 1000).ok());
    ASSERT_TRUE(t.SetFirstActivation(id, 2000).ok());
  });
  R([&](Transaction& t) {
    EXPECT_EQ((*t.FindCodeById(id))->first_activated_at, 1000);
  });
  W([&](Transaction& t) { ASSERT_TRUE(t.SetFirstActivation(id, 500).ok()); });
  R([&](Transaction& t) {
    EXPECT_EQ((*t.FindCodeById(id))->first_activated_at, 500);
  });
}

TEST_P(StoreContractTest, AnOfflineRequestIsRecordedOnce) {
  std::int64_t id = 0;
  std::array<std::uint8_t, 16> request{};
  request[0] = 7;
  crypto::Hash device{};
  W([&](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    id = MakeCode(t, 1);
    ASSERT_TRUE(
        t.RecordOfflineRequest(request, "activate", id, device, 10).ok());
  });
  Status again = store_->Write([&](Transaction& t) {
    return t.RecordOfflineRequest(request, "activate", id, device, 11);
  });
  EXPECT_EQ(again.code(), ErrorCode::kOfflineRequestUsed);
  request[0] = 8;
  W([&](Transaction& t) {
    ASSERT_TRUE(
        t.RecordOfflineRequest(request, "deactivate", id, device, 12).ok());
  });
}

TEST_P(StoreContractTest, SeatsAndOneActiveSeatPerDevice) {
  std::int64_t id = 0;
  ActivationRow a;
  W([&](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    id = MakeCode(t, 1);
    a.code_id = id;
    a.device_hash[0] = 9;
    a.activated_at = a.last_seen_at = 10;
    a.key_serial = *t.NextKeySerial();
    a.id = *t.InsertActivation(a);
  });
  Status dup = store_->Write(
      [&](Transaction& t) { return t.InsertActivation(a).status(); });
  EXPECT_EQ(dup.code(), ErrorCode::kConflict);
  R([&](Transaction& t) {
    EXPECT_EQ(*t.CountActiveSeats(id), 1);
    EXPECT_EQ((*t.FindCodeById(id))->seats_used, 1);
    EXPECT_TRUE(t.FindActiveActivation(id, a.device_hash)->has_value());
  });
  W([&](Transaction& t) { ASSERT_TRUE(t.Deactivate(a.id, 20).ok()); });
  R([&](Transaction& t) {
    EXPECT_EQ(*t.CountActiveSeats(id), 0);
    EXPECT_FALSE(t.FindActiveActivation(id, a.device_hash)->has_value());
    auto all = *t.ListActivations(id);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].deactivated_at, 20);
  });
  // The device can take a new seat after releasing the old one.
  W([&](Transaction& t) { ASSERT_TRUE(t.InsertActivation(a).ok()); });
}

TEST_P(StoreContractTest, FindCodeSeatReadsWhatTheThreeCallsRead) {
  crypto::Hash dev{}, other{}, unknown{};
  dev[0] = 3;
  other[0] = 4;
  unknown[0] = 99;
  std::int64_t held = 0, freed = 0, elsewhere = 0;
  W([&](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    ASSERT_TRUE(t.InsertProduct({"q", "Q", 1, {}}).ok());
    held = MakeCode(t, 1);
    freed = MakeCode(t, 2);
    elsewhere = MakeCode(t, 3, 3, "q");
    auto seat = [&](std::int64_t code, const crypto::Hash& device,
                    std::string name) {
      ActivationRow a;
      a.code_id = code;
      a.device_hash = device;
      a.device_name = std::move(name);
      a.activated_at = a.last_seen_at = 10;
      a.key_serial = *t.NextKeySerial();
      return *t.InsertActivation(a);
    };
    seat(held, dev, "mine");
    ASSERT_TRUE(t.Deactivate(seat(freed, dev, "freed"), 20).ok());
    seat(freed, other, "theirs");
    ASSERT_TRUE(t.PutReserve({dev, "p", freed, 50}).ok());
  });
  crypto::Hash held_hash{}, freed_hash{}, elsewhere_hash{};
  held_hash[0] = 1;
  freed_hash[0] = 2;
  elsewhere_hash[0] = 3;
  struct Case {
    crypto::Hash code, device;
    std::int64_t code_id;  // 0: no such code
    std::string seat;      // the active seat's device name; "": none
    std::int64_t reserve;  // the reserve's code id; 0: none
  };
  std::vector<Case> cases = {
      {unknown, dev, 0, "", 0},
      {held_hash, dev, held, "mine", freed},
      {freed_hash, dev, freed, "", freed},  // the freed seat is not held
      {freed_hash, other, freed, "theirs", 0},
      {elsewhere_hash, dev, elsewhere, "", 0},  // no reserve for q
      {held_hash, unknown, held, "", 0},
  };
  auto check = [&](Transaction& t) {
    for (const Case& c : cases) {
      SCOPED_TRACE(c.code_id);
      auto seat = t.FindCodeSeat(c.code, c.device);
      ASSERT_TRUE(seat.ok()) << seat.status().ToString();
      auto code = *t.FindCodeByHash(c.code);
      ASSERT_EQ(seat->code.has_value(), c.code_id != 0);
      if (!code) {
        EXPECT_FALSE(seat->activation || seat->reserve);
        continue;
      }
      EXPECT_EQ(seat->code->id, c.code_id);
      EXPECT_EQ(seat->code->terms.features, code->terms.features);
      EXPECT_EQ(seat->code->terms.activate_by, code->terms.activate_by);
      EXPECT_EQ(seat->code->seats_used, code->seats_used);
      auto act = *t.FindActiveActivation(code->id, c.device);
      ASSERT_EQ(seat->activation.has_value(), !c.seat.empty());
      ASSERT_EQ(act.has_value(), !c.seat.empty());
      if (act) {
        EXPECT_EQ(seat->activation->id, act->id);
        EXPECT_EQ(seat->activation->device_name, c.seat);
        EXPECT_EQ(seat->activation->device_hash, c.device);
        EXPECT_EQ(seat->activation->key_serial, act->key_serial);
        EXPECT_FALSE(seat->activation->deactivated_at.has_value());
      }
      ASSERT_EQ(seat->reserve.has_value(), c.reserve != 0);
      if (seat->reserve) {
        EXPECT_EQ(seat->reserve->code_id, c.reserve);
        EXPECT_EQ(seat->reserve->product_id, "p");
        EXPECT_EQ(seat->reserve->added_at, 50);
        EXPECT_EQ(seat->reserve->device_hash, c.device);
      }
    }
  };
  R(check);
  W(check);
}

TEST_P(StoreContractTest, KeySerialsAreUnique) {
  std::uint64_t a = 0, b = 0;
  W([&](Transaction& t) {
    a = *t.NextKeySerial();
    b = *t.NextKeySerial();
  });
  EXPECT_LT(a, b);
}

// Serials may skip (a rolled-back transaction's, or the rest of a block
// PostgreSQL instances draw at a time) but never repeat: not across
// transactions, not after reopening, not between two instances.
TEST_P(StoreContractTest, KeySerialsNeverRepeat) {
  std::set<std::uint64_t> seen;
  auto draw = [&](Store& store) {
    std::uint64_t serial = 0;
    Status st = store.Write([&](Transaction& t) {
      auto s = t.NextKeySerial();
      if (!s.ok()) return s.status();
      serial = *s;
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_TRUE(seen.insert(serial).second) << serial << " again";
    return serial;
  };
  for (int i = 0; i < 100; ++i) draw(*store_);
  std::uint64_t last = *seen.rbegin();
  Reopen();
  EXPECT_GT(draw(*store_), last);
  if (GetParam().name == "postgres") {
    // A second instance on the same database, drawing in turn.
    auto other = GetParam().open(dir_.string());
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    for (int i = 0; i < 100; ++i) {
      draw(*store_);
      draw(**other);
    }
  }
}

TEST_P(StoreContractTest, ReservesOnePerDeviceAndProduct) {
  crypto::Hash dev{};
  dev[0] = 3;
  std::int64_t id = 0;
  W([&](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    id = MakeCode(t, 1);
    ASSERT_TRUE(t.PutReserve({dev, "p", id, 50}).ok());
  });
  Status dup = store_->Write([&](Transaction& t) {
    return t.PutReserve({dev, "p", id, 60});
  });
  EXPECT_EQ(dup.code(), ErrorCode::kConflict);
  R([&](Transaction& t) {
    auto r = *t.FindReserve(dev, "p");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->code_id, id);
    EXPECT_EQ(r->added_at, 50);
  });
  W([&](Transaction& t) { ASSERT_TRUE(t.DeleteReserve(dev, "p").ok()); });
  R([&](Transaction& t) {
    EXPECT_FALSE(t.FindReserve(dev, "p")->has_value());
  });
}

TEST_P(StoreContractTest, EventsAndFilters) {
  W([&](Transaction& t) {
    for (int i = 0; i < 5; ++i) {
      EventRow e;
      e.at = i;
      e.type = i % 2 ? "code.blocked" : "code.activated";
      e.code_id = i;
      e.product_id = "p";
      e.actor = "admin";
      ASSERT_TRUE(t.AppendEvent(e).ok());
    }
  });
  R([&](Transaction& t) {
    EXPECT_EQ(t.ListEvents({})->size(), 5u);
    EXPECT_EQ(t.ListEvents({.type = "code.blocked"})->size(), 2u);
    EXPECT_EQ(t.ListEvents({.code_id = 3})->size(), 1u);
    auto page = *t.ListEvents({.limit = 2});
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(t.ListEvents({.after_id = page[1].id})->size(), 3u);
  });
}

TEST_P(StoreContractTest, TheNewestEventsOfACodeComeFirst) {
  std::int64_t a = 0, b = 0;
  W([&](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    a = MakeCode(t, 1);
    b = MakeCode(t, 2);
    for (int i = 0; i < 5; ++i) {
      EventRow e;
      e.at = 100 + i;
      e.type = "code.activated";
      e.code_id = i % 2 == 0 ? a : b;
      ASSERT_TRUE(t.AppendEvent(e).ok());
    }
  });
  R([&](Transaction& t) {
    auto newest = *t.ListNewestCodeEvents(a, 2);
    ASSERT_EQ(newest.size(), 2u);
    EXPECT_EQ(newest[0].at, 104);
    EXPECT_EQ(newest[1].at, 102);
    EXPECT_EQ(t.ListNewestCodeEvents(b, 10)->size(), 2u);
    EXPECT_TRUE(t.ListNewestCodeEvents(b + 100, 10)->empty());
  });
}

TEST_P(StoreContractTest, ListCodesFiltersAndPages) {
  W([&](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    for (std::uint8_t i = 1; i <= 5; ++i) MakeCode(t, i);
    ASSERT_TRUE(t.SetBlocked(2, true, "fraud").ok());
  });
  R([&](Transaction& t) {
    EXPECT_EQ(t.ListCodes({.limit = 100})->size(), 5u);
    auto blocked = *t.ListCodes({.blocked = true, .limit = 100});
    ASSERT_EQ(blocked.size(), 1u);
    EXPECT_EQ(blocked[0].blocked_reason, "fraud");
    EXPECT_EQ(t.ListCodes({.after_id = 3, .limit = 100})->size(), 2u);
    EXPECT_EQ(t.ListCodes({.product_id = "other", .limit = 100})->size(), 0u);
    EXPECT_EQ(t.ListCodes({.tail = "CDE", .limit = 100})->size(), 5u);
  });
}

// A code's seat count is a running count kept by the database; it must
// equal the activations actually active after every kind of change,
// including a change that is rolled back.
TEST_P(StoreContractTest, SeatCountFollowsEveryChange) {
  std::int64_t id = 0;
  std::vector<std::int64_t> activations;
  auto expect_seats = [&](int n) {
    R([&](Transaction& t) {
      EXPECT_EQ(*t.CountActiveSeats(id), n);
      EXPECT_EQ((*t.FindCodeById(id))->seats_used, n);
      EXPECT_EQ(
          (*t.FindCodeByHash((*t.FindCodeById(id))->code_hash))->seats_used, n);
    });
  };
  W([&](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    id = MakeCode(t, 7, 100);
    for (std::uint8_t d = 0; d < 5; ++d) {
      ActivationRow a;
      a.code_id = id;
      a.device_hash[0] = d;
      a.activated_at = a.last_seen_at = 10;
      a.key_serial = *t.NextKeySerial();
      activations.push_back(*t.InsertActivation(a));
    }
  });
  expect_seats(5);
  W([&](Transaction& t) {
    ASSERT_TRUE(t.Deactivate(activations[0], 20).ok());
    ASSERT_TRUE(t.Deactivate(activations[1], 20).ok());
  });
  expect_seats(3);
  // Deactivating an inactive activation frees nothing more.
  (void)store_->Write(
      [&](Transaction& t) { return t.Deactivate(activations[0], 30); });
  expect_seats(3);
  // A refused transaction takes its seat changes back with it.
  Status refused = store_->Write([&](Transaction& t) {
    EXPECT_TRUE(t.Deactivate(activations[2], 40).ok());
    return Status(ErrorCode::kDeviceLimitReached, "refused");
  });
  EXPECT_EQ(refused.code(), ErrorCode::kDeviceLimitReached);
  expect_seats(3);
  // And the count is kept across reopening the database.
  Reopen();
  expect_seats(3);
}

// Subscriptions: a renewal's end and term, a suspension, the grace and
// heartbeat days, each read back as written.
TEST_P(StoreContractTest, ARenewalAndASuspensionAreKept) {
  std::int64_t id = 0;
  W([&](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    id = MakeCodeWith(t, 9, [](CodeTerms& c) {
      c.type = LicenseType::kSubscription;
      c.grace_days = 7;
      c.heartbeat_days = 30;
    });
  });
  R([&](Transaction& t) {
    auto c = **t.FindCodeById(id);
    EXPECT_EQ(c.terms.grace_days, 7);
    EXPECT_EQ(c.terms.heartbeat_days, 30);
    EXPECT_FALSE(c.ends_at.has_value());
    EXPECT_FALSE(c.suspended);
  });
  W([&](Transaction& t) {
    ASSERT_TRUE(t.SetCodeEnd(id, 9000, 400).ok());
    ASSERT_TRUE(t.SetSuspended(id, true, "unpaid").ok());
  });
  R([&](Transaction& t) {
    auto c = **t.FindCodeByHash((*t.FindCodeById(id))->code_hash);
    EXPECT_EQ(c.ends_at, 9000);
    EXPECT_EQ(c.terms.term_days, 400);
    EXPECT_TRUE(c.suspended);
    EXPECT_EQ(c.suspended_reason, "unpaid");
  });
  W([&](Transaction& t) {
    ASSERT_TRUE(t.SetCodeEnd(id, std::nullopt, 365).ok());
    ASSERT_TRUE(t.SetSuspended(id, false, "").ok());
  });
  R([&](Transaction& t) {
    auto c = **t.FindCodeById(id);
    EXPECT_FALSE(c.ends_at.has_value());
    EXPECT_FALSE(c.suspended);
    EXPECT_EQ(c.suspended_reason, "");
  });
}

// A terms change writes the fields it names and keeps the others, per code
// and for every code of a batch (and no other).
TEST_P(StoreContractTest, TermsChangesWriteOnlyWhatTheyName) {
  std::int64_t a = 0, b = 0, other = 0, batch = 0;
  W([&](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    batch = *t.InsertBatch({0, "p", 2, "", 100});
    for (std::uint8_t tag : {1, 2}) {
      (tag == 1 ? a : b) = MakeCodeWith(
          t, tag,
          [tag](CodeTerms& c) {
            c.max_devices = tag;  // 1 and 2
            c.activate_by = 5000;
            c.compatible_versions = ">=1";
          },
          batch);
    }
    other = MakeCode(t, 3);
  });
  R([&](Transaction& t) {
    auto summary = *t.SummarizeBatch(batch);
    ASSERT_TRUE(summary.has_value());
    EXPECT_EQ(summary->product_id, "p");
    EXPECT_EQ(summary->codes, 2);
    EXPECT_EQ(summary->max_devices, 2);
    EXPECT_EQ(summary->min_max_devices, 1);
    EXPECT_FALSE(t.SummarizeBatch(batch + 100)->has_value());
  });
  W([&](Transaction& t) {
    TermsChange versions;
    versions.compatible_versions = ">=2";
    ASSERT_TRUE(t.ChangeBatchTerms(batch, versions).ok());
    TermsChange seats;
    seats.max_devices = 5;
    ASSERT_TRUE(t.ChangeCodeTerms(a, seats).ok());
  });
  R([&](Transaction& t) {
    auto ca = **t.FindCodeById(a);
    auto cb = **t.FindCodeById(b);
    auto co = **t.FindCodeById(other);
    EXPECT_EQ(ca.terms.compatible_versions, ">=2");
    EXPECT_EQ(cb.terms.compatible_versions, ">=2");
    EXPECT_EQ(co.terms.compatible_versions, "");
    EXPECT_EQ(ca.terms.max_devices, 5);
    EXPECT_EQ(cb.terms.max_devices, 2);
    EXPECT_EQ(ca.terms.activate_by, 5000);
  });
  W([&](Transaction& t) {
    TermsChange clear;
    clear.set_activate_by = true;  // to none
    ASSERT_TRUE(t.ChangeBatchTerms(batch, clear).ok());
    TermsChange later;
    later.set_activate_by = true;
    later.activate_by = 7000;
    ASSERT_TRUE(t.ChangeCodeTerms(other, later).ok());
  });
  R([&](Transaction& t) {
    EXPECT_FALSE((*t.FindCodeById(a))->terms.activate_by.has_value());
    EXPECT_FALSE((*t.FindCodeById(b))->terms.activate_by.has_value());
    EXPECT_EQ((*t.FindCodeById(other))->terms.activate_by, 7000);
  });
}

// Heartbeats: the seats in use of codes with heartbeat_days whose device
// was last seen that many days ago or more, oldest first; a touch moves a
// seat's last contact forward only.
TEST_P(StoreContractTest, StaleSeatsAreThoseSilentForTheirHeartbeat) {
  constexpr std::int64_t kDay = 86400;
  std::int64_t hb = 0, plain = 0;
  std::vector<std::int64_t> seats;
  W([&](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    hb = MakeCodeWith(t, 1, [](CodeTerms& c) {
      c.max_devices = 10;
      c.heartbeat_days = 10;
    });
    plain = MakeCode(t, 2, 10);
    for (std::int64_t code : {hb, plain}) {
      for (std::uint8_t d = 0; d < 3; ++d) {
        ActivationRow a;
        a.code_id = code;
        a.device_hash[0] = d;
        a.device_name = "dev" + std::to_string(d);
        a.activated_at = 0;
        a.last_seen_at = d * kDay;  // 0, 1 and 2 days
        a.key_serial = *t.NextKeySerial();
        seats.push_back(*t.InsertActivation(a));
      }
    }
  });
  R([&](Transaction& t) {
    EXPECT_TRUE(t.ListStaleSeats(10 * kDay - 1, 100)->empty());
    auto stale = *t.ListStaleSeats(11 * kDay, 100);
    ASSERT_EQ(stale.size(), 2u);  // seen at 0 and 1 days; never `plain`
    EXPECT_EQ(stale[0].activation_id, seats[0]);
    EXPECT_EQ(stale[0].code_id, hb);
    EXPECT_EQ(stale[0].device_name, "dev0");
    EXPECT_EQ(stale[0].heartbeat_days, 10);
    EXPECT_EQ(stale[1].activation_id, seats[1]);
    EXPECT_EQ(t.ListStaleSeats(11 * kDay, 1)->size(), 1u);
  });
  W([&](Transaction& t) {
    ASSERT_TRUE(t.TouchActivation(seats[0], 5 * kDay).ok());
    ASSERT_TRUE(t.TouchActivation(seats[1], 0).ok());  // older: kept
    ASSERT_TRUE(t.Deactivate(seats[2], 3 * kDay).ok());
  });
  R([&](Transaction& t) {
    auto stale = *t.ListStaleSeats(12 * kDay, 100);
    ASSERT_EQ(stale.size(), 1u);
    EXPECT_EQ(stale[0].activation_id, seats[1]);
    EXPECT_EQ(stale[0].last_seen_at, 1 * kDay);
    EXPECT_EQ(t.ListStaleSeats(15 * kDay, 100)->size(), 2u);
  });
}

// Webhooks: an event is queued for the enabled endpoints that want its
// type; a claim takes what is due once (its lease moves it on); attempts
// are recorded; redelivery makes it due again.
TEST_P(StoreContractTest, TheWebhookOutbox) {
  std::int64_t blocks = 0, all = 0, off = 0;
  W([&](Transaction& t) {
    WebhookEndpointRow e;
    e.url = "http://127.0.0.1:1/a";
    e.event_types = {"code.blocked", "code.terms_changed"};
    e.created_at = 10;
    blocks = *t.InsertWebhookEndpoint(e);
    ASSERT_TRUE(t.SetWebhookSecret(blocks, "sealed-a").ok());
    e.event_types = {"*"};
    all = *t.InsertWebhookEndpoint(e);
    e.event_types = {"code.blocked"};
    off = *t.InsertWebhookEndpoint(e);
    EXPECT_TRUE(*t.SetWebhookEndpointEnabled(off, false, 11));
    EXPECT_FALSE(*t.SetWebhookEndpointEnabled(off + 100, false, 11));
    ASSERT_TRUE(
        t.EnqueueWebhookDeliveries("code.blocked", "evt_1", "{}", 20).ok());
    // "code_terms" must not match "code.terms_changed" by a wildcard.
    ASSERT_TRUE(
        t.EnqueueWebhookDeliveries("code.terms", "evt_2", "{}", 21).ok());
  });
  R([&](Transaction& t) {
    auto endpoints = *t.ListWebhookEndpoints();
    ASSERT_EQ(endpoints.size(), 3u);
    EXPECT_EQ(endpoints[0].event_types,
              (std::vector<std::string>{"code.blocked", "code.terms_changed"}));
    EXPECT_EQ(endpoints[0].sealed_secret, "sealed-a");
    EXPECT_EQ(endpoints[2].disabled_at, 11);
    EXPECT_EQ(t.ListWebhookDeliveries(blocks, 0, 10)->size(), 1u);
    EXPECT_EQ(t.ListWebhookDeliveries(all, 0, 10)->size(), 2u);
    EXPECT_TRUE(t.ListWebhookDeliveries(off, 0, 10)->empty());
  });
  std::vector<WebhookDeliveryRow> claimed;
  W([&](Transaction& t) {
    EXPECT_TRUE(t.ClaimDueDeliveries(19, 100, 10)->empty());  // not yet due
    claimed = *t.ClaimDueDeliveries(21, 141, 2);
  });
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].event_key, "evt_1");
  EXPECT_EQ(claimed[0].url, "http://127.0.0.1:1/a");
  EXPECT_LT(claimed[0].id, claimed[1].id);
  W([&](Transaction& t) {
    // Leased: not due again before the lease ends.
    auto more = *t.ClaimDueDeliveries(30, 150, 10);
    ASSERT_EQ(more.size(), 1u);  // the third, never claimed
    ASSERT_TRUE(t.RecordDeliveryAttempt(
                     claimed[0].id, DeliveryState::kDelivered, 40, 40, 200, "")
                    .ok());
    ASSERT_TRUE(t.RecordDeliveryAttempt(claimed[1].id, DeliveryState::kPending,
                                        41, 71, 503, "the receiver answered")
                    .ok());
  });
  R([&](Transaction& t) {
    auto done = **t.FindWebhookDelivery(claimed[0].id);
    EXPECT_EQ(done.state, DeliveryState::kDelivered);
    EXPECT_EQ(done.attempts, 1);
    EXPECT_EQ(done.delivered_at, 40);
    EXPECT_EQ(done.last_status, 200);
    auto retry = **t.FindWebhookDelivery(claimed[1].id);
    EXPECT_EQ(retry.state, DeliveryState::kPending);
    EXPECT_EQ(retry.next_attempt_at, 71);
    EXPECT_EQ(retry.last_error, "the receiver answered");
    EXPECT_FALSE(retry.delivered_at.has_value());
    EXPECT_FALSE(t.FindWebhookDelivery(9999)->has_value());
  });
  W([&](Transaction& t) {
    EXPECT_TRUE(t.ClaimDueDeliveries(70, 200, 10)->empty());
    EXPECT_EQ(t.ClaimDueDeliveries(71, 200, 10)->size(), 1u);
    EXPECT_TRUE(*t.Redeliver(claimed[0].id, 80));
    EXPECT_FALSE(*t.Redeliver(9999, 80));
    auto again = *t.ClaimDueDeliveries(80, 300, 10);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].event_key, "evt_1");
    EXPECT_EQ(again[0].attempts, 1);
  });
}

// An event is queued for the endpoints enabled when it is written, however
// the writes around it are committed (SQLite skips the outbox statement
// while it knows of no enabled endpoint: OutboxHint).
TEST_P(StoreContractTest, EveryEventReachesTheEndpointsEnabledThen) {
  auto enqueue = [](Transaction& t, const char* key) {
    ASSERT_TRUE(t.EnqueueWebhookDeliveries("code.blocked", key, "{}", 5).ok());
  };
  W([&](Transaction& t) { enqueue(t, "evt_0"); });  // no endpoint yet
  std::int64_t id = 0;
  W([&](Transaction& t) {
    WebhookEndpointRow e;
    e.url = "http://127.0.0.1:1/a";
    e.event_types = {"code.blocked"};
    id = *t.InsertWebhookEndpoint(e);
    enqueue(t, "evt_1");  // the same transaction
  });
  W([&](Transaction& t) { enqueue(t, "evt_2"); });
  W([&](Transaction& t) {
    ASSERT_TRUE(*t.SetWebhookEndpointEnabled(id, false, 6));
    enqueue(t, "evt_3");
  });
  W([&](Transaction& t) { enqueue(t, "evt_4"); });
  // Made enabled and used by two writes handed over at once (committed
  // together on SQLite).
  std::atomic<int> done{0};
  store_->WriteAsync(
      [&](Transaction& t) -> Status {
        LICENTIA_ASSIGN_OR_RETURN(bool found,
                                  t.SetWebhookEndpointEnabled(id, true, 7));
        return found ? Status::Ok() : Status(ErrorCode::kInternal, "lost");
      },
      [&](Status st) {
        EXPECT_TRUE(st.ok()) << st.ToString();
        done++;
      });
  store_->WriteAsync(
      [&](Transaction& t) {
        return t.EnqueueWebhookDeliveries("code.blocked", "evt_5", "{}", 8);
      },
      [&](Status st) {
        EXPECT_TRUE(st.ok()) << st.ToString();
        done++;
      });
  while (done < 2) std::this_thread::yield();
  W([&](Transaction& t) { enqueue(t, "evt_6"); });  // after the enabling
  R([&](Transaction& t) {
    std::vector<std::string> keys;
    auto deliveries = *t.ListWebhookDeliveries(id, 0, 100);
    for (const auto& d : deliveries) keys.push_back(d.event_key);
    std::sort(keys.begin(), keys.end());
    // On SQLite the two writes run in the order given, so evt_5 follows
    // the enabling; PostgreSQL runs them at once, and evt_5 may have been
    // written while the endpoint was still disabled.
    std::erase(keys, std::string("evt_5"));
    EXPECT_EQ(keys, (std::vector<std::string>{"evt_1", "evt_2", "evt_6"}));
    if (GetParam().name != "postgres") {
      auto all = *t.ListWebhookDeliveries(id, 0, 100);
      EXPECT_EQ(all.size(), 4u);
    }
  });
}

TEST_P(StoreContractTest, AFailedTransactionLeavesNothing) {
  Status st = store_->Write([](Transaction& t) {
    EXPECT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    return Status(ErrorCode::kDeviceLimitReached, "refused");
  });
  EXPECT_EQ(st.code(), ErrorCode::kDeviceLimitReached);
  R([](Transaction& t) { EXPECT_FALSE(t.FindProduct("p")->has_value()); });
}

// An event of type "test" on product "p" at time `at`.
EventRow TestEvent(UnixSeconds at) {
  EventRow e;
  e.type = "test";
  e.product_id = "p";
  e.actor = "t";
  e.at = at;
  return e;
}

TEST_P(StoreContractTest, ConcurrentWritesAllCommitAndFailuresStayIsolated) {
  W([](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
  });
  constexpr int kThreads = 48;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0}, refused{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Status st = store_->Write([&](Transaction& t) -> Status {
        LICENTIA_RETURN_IF_ERROR(t.AppendEvent(TestEvent(i)));
        if (i % 3 == 0) return Status(ErrorCode::kConflict, "odd one out");
        return Status::Ok();
      });
      (st.ok() ? ok : refused).fetch_add(1);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads - kThreads / 3);
  EXPECT_EQ(refused.load(), kThreads / 3);
  R([&](Transaction& t) {
    auto events = *t.ListEvents({.type = "test", .limit = 1000});
    EXPECT_EQ(static_cast<int>(events.size()), kThreads - kThreads / 3);
    for (const auto& e : events) EXPECT_NE(e.at % 3, 0);
  });
}

// Commit callbacks run once for each write that commits, before its
// answer, and never for a write that fails, nor for a run of a function
// that the store discards and runs again (SQLite does that here: writes
// that fail after writing make their whole batch run again).
TEST_P(StoreContractTest, OnCommitRunsOnceForEachCommittedWriteOnly) {
  W([](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
  });
  constexpr int kThreads = 48;
  std::vector<std::atomic<int>> callbacks(kThreads);
  std::atomic<int> runs{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Status st = store_->Write([&](Transaction& t) -> Status {
        runs++;
        LICENTIA_RETURN_IF_ERROR(t.AppendEvent(TestEvent(i)));
        LICENTIA_RETURN_IF_ERROR(
            t.OnCommit([&callbacks, i] { callbacks[i]++; }));
        if (i % 3 == 0) return Status(ErrorCode::kConflict, "odd one out");
        return Status::Ok();
      });
      // Already run when the write is answered.
      EXPECT_EQ(callbacks[i].load(), st.ok() ? 1 : 0) << i;
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(callbacks[i].load(), i % 3 == 0 ? 0 : 1) << i;
  }
  if (GetParam().name.starts_with("sqlite")) {
    EXPECT_GT(runs.load(), kThreads);  // some functions did run again
  }
  // Nothing would ever run a read's callback: refused.
  R([](Transaction& t) {
    EXPECT_EQ(t.OnCommit([] {}).code(), ErrorCode::kInternal);
  });
}

// A function registered under one key by writes committed together runs
// once for them all, after each of their OnCommit callbacks and before any
// of them is answered (the server signs a commit's keys this way).
TEST_P(StoreContractTest, OnceAfterCommitServesEveryWriteOfItsCommit) {
  W([](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
  });
  constexpr int kThreads = 48;
  std::mutex mu;
  std::vector<int> pending, flushed;
  int flushes = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Status st = store_->Write([&](Transaction& t) -> Status {
        LICENTIA_RETURN_IF_ERROR(t.AppendEvent(TestEvent(i)));
        LICENTIA_RETURN_IF_ERROR(t.OnCommit([&, i] {
          std::lock_guard lock(mu);
          pending.push_back(i);
        }));
        LICENTIA_RETURN_IF_ERROR(t.OnceAfterCommit(&pending, [&] {
          std::lock_guard lock(mu);
          flushed.insert(flushed.end(), pending.begin(), pending.end());
          pending.clear();
          ++flushes;
        }));
        if (i % 3 == 0) return Status(ErrorCode::kConflict, "odd one out");
        return Status::Ok();
      });
      std::lock_guard lock(mu);
      bool done = std::find(flushed.begin(), flushed.end(), i) != flushed.end();
      EXPECT_EQ(done, st.ok()) << i;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_TRUE(pending.empty());
  std::sort(flushed.begin(), flushed.end());
  std::vector<int> committed;
  for (int i = 0; i < kThreads; ++i) {
    if (i % 3 != 0) committed.push_back(i);
  }
  EXPECT_EQ(flushed, committed);  // each committed write once, no other
  EXPECT_GE(flushes, 1);
  EXPECT_LE(flushes, static_cast<int>(committed.size()));
  R([](Transaction& t) {
    EXPECT_EQ(t.OnceAfterCommit(nullptr, [] {}).code(), ErrorCode::kInternal);
  });
}

// Collects what a store's change feed reports.
class ChangeLog {
 public:
  ChangeListener Listener() {
    return [this](const ChangedKeys& keys) {
      std::lock_guard lock(mu_);
      for (auto id : keys.codes) codes_.insert(id);
      for (const auto& d : keys.devices) devices_.insert(d);
      cv_.notify_all();
    };
  }
  // Waits (up to 10 s: the feed is asynchronous on PostgreSQL) until the
  // feed has named `code` or, if given, `device`; then forgets all. With
  // `not_code`, also false if the feed named that code by then (the feed
  // reports commits in order, so anything named before the awaited key
  // came from an earlier commit).
  bool Saw(std::int64_t code, const crypto::Hash* device = nullptr,
           std::optional<std::int64_t> not_code = std::nullopt) {
    std::unique_lock lock(mu_);
    bool seen = cv_.wait_for(lock, std::chrono::seconds(10), [&] {
      return device ? devices_.contains(*device) : codes_.contains(code);
    });
    if (not_code && codes_.contains(*not_code)) seen = false;
    codes_.clear();
    devices_.clear();
    return seen;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::int64_t> codes_;
  std::set<crypto::Hash> devices_;
};

// The change feed names the codes and devices that changes a device is told
// of touched: a block, a freed seat, a reserve added or removed. On
// PostgreSQL a second instance on the same database hears them too.
TEST_P(StoreContractTest, TheChangeFeedNamesWhatDevicesAreToldOf) {
  ChangeLog here, there;
  store_->SetChangeListener(here.Listener());
  std::unique_ptr<Store> other;
  if (GetParam().name == "postgres") {
    auto s = GetParam().open(dir_.string());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    other = std::move(*s);
    other->SetChangeListener(there.Listener());
  }
  std::int64_t id = 0;
  crypto::Hash dev{};
  dev[0] = 9;
  W([&](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    id = MakeCode(t, 1);
  });
  std::int64_t seat = 0;
  W([&](Transaction& t) {
    ActivationRow a;
    a.code_id = id;
    a.device_hash = dev;
    seat = *t.InsertActivation(a);
    ASSERT_TRUE(t.SetFirstActivation(id, 5).ok());
  });
  // A new seat, its count and the first activation are no news to the
  // devices holding the code: the next change heard is the reserve's.
  crypto::Hash marker{};
  marker[0] = 77;
  W([&](Transaction& t) {
    ASSERT_TRUE(t.PutReserve({marker, "p", id, 6}).ok());
  });
  EXPECT_TRUE(here.Saw(0, &marker, id));
  if (other) {
    EXPECT_TRUE(there.Saw(0, &marker, id));
  }
  // Both instances hear of it (one on SQLite).
  auto heard = [&](std::int64_t code, const crypto::Hash* device) {
    EXPECT_TRUE(here.Saw(code, device));
    if (other) {
      EXPECT_TRUE(there.Saw(code, device));
    }
  };
  W([&](Transaction& t) { ASSERT_TRUE(t.SetBlocked(id, true, "r").ok()); });
  heard(id, nullptr);
  W([&](Transaction& t) { ASSERT_TRUE(t.Deactivate(seat, 7).ok()); });
  heard(id, nullptr);
  W([&](Transaction& t) { ASSERT_TRUE(t.PutReserve({dev, "p", id, 8}).ok()); });
  heard(0, &dev);
  W([&](Transaction& t) { ASSERT_TRUE(t.DeleteReserve(dev, "p").ok()); });
  heard(0, &dev);
  // An action queued for the device in the console, and its result.
  std::int64_t action = 0;
  W([&](Transaction& t) {
    std::int64_t account =
        *t.InsertAccount({0, "feed@example.com", "h", 10, 10});
    action = *t.InsertDeviceAction({0,
                                    dev,
                                    account,
                                    DeviceActionKind::kRemoveReserve,
                                    {},
                                    DeviceActionState::kPending,
                                    "",
                                    "",
                                    10,
                                    {}});
  });
  heard(0, &dev);
  W([&](Transaction& t) {
    ASSERT_TRUE(*t.FinishDeviceAction(action, dev, DeviceActionState::kDone, "",
                                      "", 11));
  });
  heard(0, &dev);
  // A refused write changes nothing and reports nothing.
  Status refused = store_->Write([&](Transaction& t) {
    EXPECT_TRUE(t.SetBlocked(id, false, "").ok());
    return Status(ErrorCode::kConflict, "refused");
  });
  EXPECT_EQ(refused.code(), ErrorCode::kConflict);
  W([&](Transaction& t) { ASSERT_TRUE(t.PutReserve({dev, "p", id, 9}).ok()); });
  EXPECT_TRUE(here.Saw(0, &dev));  // the next change, and not the refused
  R([&](Transaction& t) { EXPECT_TRUE((*t.FindCodeById(id))->blocked); });
}

TEST_P(StoreContractTest, AccountsAndSessions) {
  std::int64_t id = 0;
  crypto::Hash session{};
  session[0] = 9;
  W([&](Transaction& t) {
    id = *t.InsertAccount({0, "ann@example.com", "hash1", 10, 10});
    ASSERT_TRUE(t.InsertSession({session, id, 10, 100}).ok());
    crypto::Hash other = session;
    other[1] = 1;
    ASSERT_TRUE(t.InsertSession({other, id, 11, 100}).ok());
  });
  // A second account with the same email is refused, and the refusal
  // leaves the transaction usable on every backend.
  W([&](Transaction& t) {
    auto dup = t.InsertAccount({0, "ann@example.com", "x", 12, 12});
    EXPECT_EQ(dup.status().code(), ErrorCode::kConflict);
    EXPECT_TRUE(t.SetAccountPassword(id, "hash2", 13).ok());
  });
  R([&](Transaction& t) {
    auto a = *t.FindAccountByEmail("ann@example.com");
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->id, id);
    EXPECT_EQ(a->password_hash, "hash2");
    EXPECT_EQ(a->password_changed_at, 13);
    EXPECT_FALSE(t.FindAccountByEmail("bob@example.com")->has_value());
    EXPECT_EQ((*t.FindAccountById(id))->email, "ann@example.com");
    auto s = *t.FindSession(session);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->account_id, id);
    EXPECT_EQ(s->expires_at, 100);
  });
  W([&](Transaction& t) { ASSERT_TRUE(t.DeleteSession(session).ok()); });
  R([&](Transaction& t) {
    EXPECT_FALSE(t.FindSession(session)->has_value());
    crypto::Hash other = session;
    other[1] = 1;
    EXPECT_TRUE(t.FindSession(other)->has_value());
  });
  W([&](Transaction& t) { ASSERT_TRUE(t.DeleteAccountSessions(id).ok()); });
  R([&](Transaction& t) {
    crypto::Hash other = session;
    other[1] = 1;
    EXPECT_FALSE(t.FindSession(other)->has_value());
  });
}

TEST_P(StoreContractTest, TheSecondFactorAndItsRecoveryCodes) {
  std::int64_t id = 0;
  crypto::Hash one{}, two{};
  one[0] = 1;
  two[0] = 2;
  W([&](Transaction& t) {
    id = *t.InsertAccount({0, "ann@example.com", "h", 10, 10});
    ASSERT_TRUE(t.SetAccountTotp(id, "", "pending-sealed", 0).ok());
  });
  R([&](Transaction& t) {
    auto a = *t.FindAccountById(id);
    EXPECT_EQ(a->totp_secret, "");
    EXPECT_EQ(a->totp_pending, "pending-sealed");
  });
  W([&](Transaction& t) {
    ASSERT_TRUE(t.SetAccountTotp(id, "sealed", "", 100).ok());
    // A step is used once, and never one older than the last.
    EXPECT_TRUE(*t.UseTotpStep(id, 101));
    EXPECT_FALSE(*t.UseTotpStep(id, 101));
    EXPECT_FALSE(*t.UseTotpStep(id, 99));
    ASSERT_TRUE(t.ReplaceRecoveryCodes(id, {one, two}).ok());
    EXPECT_TRUE(*t.UseRecoveryCode(id, one, 50));
    EXPECT_FALSE(*t.UseRecoveryCode(id, one, 51));
    EXPECT_FALSE(*t.UseRecoveryCode(id + 1, two, 51));
  });
  R([&](Transaction& t) {
    auto a = *t.FindAccountByEmail("ann@example.com");
    EXPECT_EQ(a->totp_secret, "sealed");
    EXPECT_EQ(a->totp_last_step, 101);
    EXPECT_EQ(*t.CountRecoveryCodesLeft(id), 1);
  });
  W([&](Transaction& t) { ASSERT_TRUE(t.ReplaceRecoveryCodes(id, {}).ok()); });
  R([&](Transaction& t) { EXPECT_EQ(*t.CountRecoveryCodesLeft(id), 0); });
}

TEST_P(StoreContractTest, AConnectCodeIsUsedOnceBeforeItExpires) {
  std::int64_t id = 0;
  crypto::Hash code{}, late{};
  code[0] = 1;
  late[0] = 2;
  W([&](Transaction& t) {
    id = *t.InsertAccount({0, "ann@example.com", "h", 10, 10});
    ASSERT_TRUE(t.InsertConnectCode(code, id, 100).ok());
    ASSERT_TRUE(t.InsertConnectCode(late, id, 100).ok());
  });
  W([&](Transaction& t) {
    EXPECT_EQ(*t.UseConnectCode(code, 50), id);
    EXPECT_EQ(*t.UseConnectCode(code, 51), std::nullopt);   // used
    EXPECT_EQ(*t.UseConnectCode(late, 100), std::nullopt);  // expired
    crypto::Hash unknown{};
    EXPECT_EQ(*t.UseConnectCode(unknown, 50), std::nullopt);
  });
}

TEST_P(StoreContractTest, DeviceConnectionsOnePerDevice) {
  std::int64_t ann = 0, bob = 0, first = 0, second = 0;
  crypto::Hash device{};
  device[0] = 5;
  W([&](Transaction& t) {
    ann = *t.InsertAccount({0, "ann@example.com", "h", 10, 10});
    bob = *t.InsertAccount({0, "bob@example.com", "h", 10, 10});
    DeviceConnectionRow c{0, device, ann, {}, "laptop", "linux", "1.0", 20, 20};
    first = *t.PutDeviceConnection(c);
    ASSERT_TRUE(t.TouchDeviceConnection(first, 30).ok());
  });
  R([&](Transaction& t) {
    auto c = *t.FindDeviceConnection(device);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->id, first);
    EXPECT_EQ(c->account_id, ann);
    EXPECT_EQ(c->device_name, "laptop");
    EXPECT_EQ(c->last_contact_at, 30);
    EXPECT_EQ(t.ListDeviceConnections(ann)->size(), 1u);
  });
  // Connecting the device to another account moves it.
  W([&](Transaction& t) {
    DeviceConnectionRow c{0, device, bob, {}, "laptop", "linux", "1.1", 40, 40};
    second = *t.PutDeviceConnection(c);
  });
  R([&](Transaction& t) {
    EXPECT_NE(second, first);
    EXPECT_TRUE(t.ListDeviceConnections(ann)->empty());
    ASSERT_EQ(t.ListDeviceConnections(bob)->size(), 1u);
    EXPECT_EQ((*t.FindDeviceConnection(device))->app_version, "1.1");
  });
  W([&](Transaction& t) {
    ASSERT_TRUE(t.DeleteDeviceConnection(second).ok());
  });
  R([&](Transaction& t) {
    EXPECT_FALSE(t.FindDeviceConnection(device)->has_value());
  });
}

TEST_P(StoreContractTest, AccountCodesAndTheAdministrator) {
  std::int64_t ann = 0, bob = 0, code = 0;
  W([&](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    code = MakeCode(t, 1);
    ann = *t.InsertAccount({0, "ann@example.com", "h", 10, 10});
    bob = *t.InsertAccount({0, "bob@example.com", "h", 10, 10});
    EXPECT_TRUE(*t.AddAccountCode(
        {ann, code, AccountRole::kAdministrator, "sealed", 20}));
    EXPECT_FALSE(*t.AddAccountCode({ann, code, AccountRole::kMember, "", 21}));
    EXPECT_TRUE(*t.AddAccountCode({bob, code, AccountRole::kMember, "", 22}));
  });
  R([&](Transaction& t) {
    EXPECT_EQ(*t.FindCodeAdministrator(code), ann);
    auto held = *t.ListAccountCodes(ann);
    ASSERT_EQ(held.size(), 1u);
    EXPECT_EQ(held[0].role, AccountRole::kAdministrator);
    EXPECT_EQ(held[0].sealed_code, "sealed");
    auto member = *t.FindAccountCode(bob, code);
    ASSERT_TRUE(member.has_value());
    EXPECT_EQ(member->role, AccountRole::kMember);
    EXPECT_FALSE(t.FindAccountCode(bob, code + 1)->has_value());
    EXPECT_FALSE(t.FindCodeAdministrator(code + 1)->has_value());
  });
}

TEST_P(StoreContractTest, InvitationsAndTheirStates) {
  std::int64_t ann = 0, code = 0, first = 0, second = 0;
  W([&](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    code = MakeCode(t, 1);
    ann = *t.InsertAccount({0, "ann@example.com", "h", 10, 10});
    first = *t.InsertInvitation(
        {0, code, ann, "bob@example.com", InvitationState::kPending, 20, {}});
    second = *t.InsertInvitation(
        {0, code, ann, "carol@example.com", InvitationState::kPending, 21, {}});
    ASSERT_TRUE(
        t.SetInvitationState(first, InvitationState::kAccepted, 30).ok());
  });
  R([&](Transaction& t) {
    auto i = *t.FindInvitation(first);
    ASSERT_TRUE(i.has_value());
    EXPECT_EQ(i->state, InvitationState::kAccepted);
    EXPECT_EQ(i->decided_at, 30);
    EXPECT_EQ(i->email, "bob@example.com");
    EXPECT_EQ(t.ListCodeInvitations(code)->size(), 2u);
    auto carol = *t.ListEmailInvitations("carol@example.com");
    ASSERT_EQ(carol.size(), 1u);
    EXPECT_EQ(carol[0].id, second);
    EXPECT_EQ(carol[0].state, InvitationState::kPending);
    EXPECT_FALSE(carol[0].decided_at.has_value());
    EXPECT_FALSE(t.FindInvitation(second + 1)->has_value());
  });
  W([&](Transaction& t) {
    ASSERT_TRUE(
        *t.AddAccountCode({ann, code, AccountRole::kAdministrator, "", 20}));
    ASSERT_TRUE(t.DeleteAccountCode(ann, code).ok());
  });
  R([&](Transaction& t) {
    EXPECT_FALSE(t.FindAccountCode(ann, code)->has_value());
  });
}

TEST_P(StoreContractTest, DeviceActionsArePendingUntilTheDeviceFinishesThem) {
  std::int64_t ann = 0, code = 0, first = 0, second = 0;
  crypto::Hash device{}, other{};
  device[0] = 1;
  other[0] = 2;
  W([&](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    code = MakeCode(t, 1);
    ann = *t.InsertAccount({0, "ann@example.com", "h", 10, 10});
    first = *t.InsertDeviceAction({0,
                                   device,
                                   ann,
                                   DeviceActionKind::kActivate,
                                   code,
                                   DeviceActionState::kPending,
                                   "",
                                   "",
                                   20,
                                   {}});
    second = *t.InsertDeviceAction({0,
                                    device,
                                    ann,
                                    DeviceActionKind::kRemoveReserve,
                                    {},
                                    DeviceActionState::kPending,
                                    "",
                                    "",
                                    21,
                                    {}});
  });
  W([&](Transaction& t) {
    // Only the device it is for finishes it, once.
    EXPECT_FALSE(*t.FinishDeviceAction(first, other, DeviceActionState::kDone,
                                       "", "", 30));
    EXPECT_TRUE(*t.FinishDeviceAction(first, device,
                                      DeviceActionState::kRefused,
                                      "CODE_BLOCKED", "blocked", 30));
    EXPECT_FALSE(*t.FinishDeviceAction(first, device, DeviceActionState::kDone,
                                       "", "", 31));
  });
  R([&](Transaction& t) {
    auto pending = *t.ListPendingDeviceActions(device);
    ASSERT_EQ(pending.size(), 1u);
    EXPECT_EQ(pending[0].id, second);
    EXPECT_EQ(pending[0].kind, DeviceActionKind::kRemoveReserve);
    EXPECT_FALSE(pending[0].code_id.has_value());
    auto all = *t.ListDeviceActions(device, 10);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].id, second);  // newest first
    EXPECT_EQ(all[1].state, DeviceActionState::kRefused);
    EXPECT_EQ(all[1].error_code, "CODE_BLOCKED");
    EXPECT_EQ(all[1].done_at, 30);
    EXPECT_EQ(all[1].code_id, code);
    EXPECT_EQ(t.ListDeviceActions(device, 1)->size(), 1u);
    EXPECT_TRUE(t.ListPendingDeviceActions(other)->empty());
  });
}

TEST_P(StoreContractTest, AConnectedDevicesSeatsOnTheCodesItReported) {
  crypto::Hash device{}, other{};
  device[0] = 1;
  other[0] = 2;
  std::int64_t a = 0, b = 0, c = 0, seat = 0, account = 0, connection = 0;
  W([&](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    a = MakeCode(t, 1);
    b = MakeCode(t, 2);
    c = MakeCode(t, 3);
    ActivationRow act;
    act.device_hash = device;
    for (std::int64_t code : {a, b, c}) {
      act.code_id = code;
      std::int64_t id = *t.InsertActivation(act);
      if (code == a) seat = id;
    }
    act.code_id = b;
    act.device_hash = other;
    ASSERT_TRUE(t.InsertActivation(act).ok());
    account = *t.InsertAccount({0, "ann@example.com", "h", 10, 10});
    connection = *t.PutDeviceConnection(
        {0, device, account, {}, "laptop", "linux", "1.0", 20, 20});
    // Reported: a (then freed) and b, twice; not c.
    ASSERT_TRUE(t.NoteDeviceCode(device, a).ok());
    ASSERT_TRUE(t.NoteDeviceCode(device, b).ok());
    ASSERT_TRUE(t.NoteDeviceCode(device, b).ok());
    ASSERT_TRUE(t.Deactivate(seat, 50).ok());
  });
  R([&](Transaction& t) {
    auto seats = *t.ListConnectedSeats(device);
    ASSERT_EQ(seats.size(), 1u);
    EXPECT_EQ(seats[0].code_id, b);
    EXPECT_EQ(seats[0].device_hash, device);
    EXPECT_TRUE(t.ListConnectedSeats(other)->empty());
  });
  // The connection ends: what it reported goes with it.
  W([&](Transaction& t) {
    ASSERT_TRUE(t.DeleteDeviceConnection(connection).ok());
  });
  R([&](Transaction& t) {
    EXPECT_TRUE(t.ListConnectedSeats(device)->empty());
  });
  W([&](Transaction& t) {
    ASSERT_TRUE(t.NoteDeviceCode(device, c).ok());
    ASSERT_TRUE(t.PutDeviceConnection(
                     {0, device, account, {}, "laptop", "linux", "1.0", 30, 30})
                    .ok());
  });
  R([&](Transaction& t) {
    EXPECT_TRUE(t.ListConnectedSeats(device)->empty());
  });
}

TEST_P(StoreContractTest, DataSurvivesReopening) {
  W([](Transaction& t) {
    ASSERT_TRUE(t.InsertProduct({"p", "P", 1, {}}).ok());
    ASSERT_TRUE(t.InsertAdminToken(crypto::Hash{1}, "t", "full", 1).ok());
  });
  Reopen();
  R([](Transaction& t) {
    EXPECT_TRUE(t.FindProduct("p")->has_value());
    EXPECT_TRUE(t.FindAdminToken(crypto::Hash{1})->has_value());
    EXPECT_FALSE(t.FindAdminToken(crypto::Hash{2})->has_value());
    EXPECT_EQ(*t.CountAdminTokens(), 1);
  });
}

// Tokens: their scopes, last use and revocation; each event names the
// token that acted.
TEST_P(StoreContractTest, AdminTokensAndTheEventsTheyMake) {
  std::int64_t billing = 0;
  W([&](Transaction& t) {
    billing = *t.InsertAdminToken(crypto::Hash{7}, "billing", "renew", 10);
    ASSERT_TRUE(t.InsertAdminToken(crypto::Hash{8}, "ops", "full", 11).ok());
    EventRow e;
    e.at = 12;
    e.type = "code.renewed";
    e.actor = "admin";
    e.token_id = billing;
    ASSERT_TRUE(t.AppendEvent(e).ok());
  });
  R([&](Transaction& t) {
    auto found = *t.FindAdminToken(crypto::Hash{7});
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->id, billing);
    EXPECT_EQ(found->name, "billing");
    EXPECT_EQ(found->scopes, "renew");
    EXPECT_EQ(found->created_at, 10);
    EXPECT_FALSE(found->last_used_at.has_value());
    EXPECT_FALSE(found->revoked_at.has_value());
    auto events = *t.ListEvents({});
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].token_id, billing);
  });
  W([&](Transaction& t) {
    ASSERT_TRUE(t.TouchAdminToken(billing, 20).ok());
    EXPECT_TRUE(*t.RevokeAdminToken(billing, 30));
    EXPECT_FALSE(*t.RevokeAdminToken(billing, 40));  // already
    EXPECT_FALSE(*t.RevokeAdminToken(billing + 100, 40));
  });
  R([&](Transaction& t) {
    auto all = *t.ListAdminTokens();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].name, "billing");
    EXPECT_EQ(all[0].last_used_at, 20);
    EXPECT_EQ(all[0].revoked_at, 30);
    EXPECT_FALSE(all[1].revoked_at.has_value());
  });
}

INSTANTIATE_TEST_SUITE_P(AllBackends, StoreContractTest,
                         ::testing::ValuesIn(Backends()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace licentia::store
