// Offline activation by file, end to end: a device that never reaches the
// server (its server URL refuses every connection) writes a request file,
// the vendor answers it through the admin API with the same verification
// as an online activation, and the device imports the response.
#include <boost/json.hpp>

#include "core/crypto.h"
#include "e2e/device_test_base.h"

namespace licentia::testing {
namespace {

// Nothing listens on port 1: every request from the device fails.
constexpr char kNoServer[] = "http://127.0.0.1:1";

class OfflineActivationTest : public DeviceTestBase {
 protected:
  // An air-gapped device.
  LicenseManager& Gapped(const std::string& name) {
    auto& slot = devices_[name];
    if (!slot) {
      auto m = Reopen(name, "22.0", "", kNoServer);
      EXPECT_TRUE(m.ok()) << m.status().ToString();
      slot = std::move(*m);
    }
    return *slot;
  }
  // The vendor answers a request file: the response file's text.
  Result<std::string> Answer(const std::string& request) {
    LICENTIA_ASSIGN_OR_RETURN(json::value r,
                              AdminCall("POST", "/v1/admin/offline/answer",
                                        json::object{{"request", request}}));
    return std::string(r.at("response").as_string());
  }
  // The whole round trip: request, the vendor's answer, import.
  Status ActivateByFile(LicenseManager& dev, const std::string& code) {
    LICENTIA_ASSIGN_OR_RETURN(std::string request,
                              dev.OfflineActivationRequest(code));
    LICENTIA_ASSIGN_OR_RETURN(std::string response, Answer(request));
    return dev.ImportOfflineResponse(response);
  }
};

TEST_F(OfflineActivationTest, AnAirGappedDeviceActivatesByFile) {
  IssuedCode code = NewCode(365, 2);
  LicenseManager& dev = Gapped("factory");
  // Online activation cannot work here.
  EXPECT_CODE(dev.Activate(code.code), "UNAVAILABLE");
  auto request = dev.OfflineActivationRequest(code.code);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(Code(code.id).at("seats_used").as_int64(), 0);
  auto response = Answer(*request);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(Code(code.id).at("seats_used").as_int64(), 1);
  ASSERT_OK(dev.ImportOfflineResponse(*response));
  ASSERT_OK(dev.Check());
  LicenseDetails d = dev.Details();
  EXPECT_EQ(d.state, LicenseState::kActive);
  EXPECT_EQ(d.masked_code, Masked(code));
  EXPECT_EQ(d.expires_at, Now() + 365 * 86400);
  // The application restarts: the license is kept.
  devices_.erase("factory");
  ASSERT_OK(Gapped("factory").Check());
}

TEST_F(OfflineActivationTest, EachRequestIsAnsweredOnceAndImportedOnce) {
  IssuedCode code = NewCode(365, 2);
  LicenseManager& dev = Gapped("factory");
  auto request = dev.OfflineActivationRequest(code.code);
  ASSERT_TRUE(request.ok());
  auto response = Answer(*request);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  std::int64_t events = EventCount();
  EXPECT_API_ERROR(Answer(*request), "OFFLINE_REQUEST_USED");
  EXPECT_EQ(EventCount(), events);
  ASSERT_OK(dev.ImportOfflineResponse(*response));
  EXPECT_CODE(dev.ImportOfflineResponse(*response),
              "OFFLINE_RESPONSE_MISMATCH");
  // Another device cannot import this device's answer.
  EXPECT_CODE(Gapped("other").ImportOfflineResponse(*response),
              "OFFLINE_RESPONSE_MISMATCH");
  EXPECT_EQ(Gapped("other").Details().state, LicenseState::kNone);
  // A newer request replaces the pending one: the older answer is refused.
  auto first = dev.OfflineActivationRequest(code.code);
  auto second = dev.OfflineActivationRequest(code.code);
  ASSERT_TRUE(first.ok() && second.ok());
  auto old_answer = Answer(*first);
  ASSERT_TRUE(old_answer.ok()) << old_answer.status().ToString();
  EXPECT_CODE(dev.ImportOfflineResponse(*old_answer),
              "OFFLINE_RESPONSE_MISMATCH");
}

TEST_F(OfflineActivationTest, AnEditedRequestIsRefusedAndChangesNothing) {
  IssuedCode code = NewCode(365, 2);
  auto request = Gapped("factory").OfflineActivationRequest(code.code);
  ASSERT_TRUE(request.ok());
  // Another fingerprint written into the payload, the signature kept.
  json::object file = json::parse(*request).as_object();
  auto payload = crypto::FromBase64(file.at("payload").as_string());
  ASSERT_TRUE(payload.has_value());
  std::string text(payload->begin(), payload->end());
  json::object p = json::parse(text).as_object();
  p["fingerprint"] = "someone-else";
  std::string edited = json::serialize(p);
  file["payload"] = crypto::ToBase64Public(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(edited.data()), edited.size()));
  std::int64_t events = EventCount();
  EXPECT_API_ERROR(Answer(json::serialize(file)), "OFFLINE_REQUEST_INVALID");
  EXPECT_API_ERROR(Answer("not a request"), "OFFLINE_REQUEST_INVALID");
  EXPECT_API_ERROR(Answer(std::string(20000, 'x')), "INVALID_REQUEST");
  EXPECT_EQ(EventCount(), events);
  EXPECT_EQ(Code(code.id).at("seats_used").as_int64(), 0);
}

TEST_F(OfflineActivationTest, TheVendorsAnswerVerifiesAsAnOnlineActivation) {
  IssuedCode full = NewCode(365, 1);
  ASSERT_OK(Device("online").Activate(full.code));
  auto request = Gapped("factory").OfflineActivationRequest(full.code);
  ASSERT_TRUE(request.ok());
  EXPECT_API_ERROR(Answer(*request), "DEVICE_LIMIT_REACHED");
  IssuedCode blocked = NewCode(365, 2);
  Block(blocked);
  auto blocked_request =
      Gapped("factory").OfflineActivationRequest(blocked.code);
  ASSERT_TRUE(blocked_request.ok());
  EXPECT_API_ERROR(Answer(*blocked_request), "CODE_BLOCKED");
  IssuedCode other_product = Issue({{"product", "video"}, {"term_days", 30}});
  request = Gapped("factory").OfflineActivationRequest(other_product.code);
  ASSERT_TRUE(request.ok());
  EXPECT_API_ERROR(Answer(*request), "WRONG_PRODUCT");
  // A refused request may be answered once its cause is gone: refusals
  // do not use it up.
  Unblock(blocked);
  EXPECT_TRUE(Answer(*blocked_request).ok());
  EXPECT_API_ERROR(Answer(*blocked_request), "OFFLINE_REQUEST_USED");
  IssuedCode fine = NewCode(365, 2);
  ASSERT_OK(ActivateByFile(Gapped("factory"), fine.code));
}

TEST_F(OfflineActivationTest, DeactivationByFileFreesTheSeat) {
  IssuedCode code = NewCode(365, 1);
  LicenseManager& dev = Gapped("factory");
  ASSERT_OK(ActivateByFile(dev, code.code));
  // The device writes its release and stops using the key at once.
  auto release = dev.OfflineDeactivationRequest();
  ASSERT_TRUE(release.ok()) << release.status().ToString();
  EXPECT_CODE(dev.Check(), "NO_CURRENT_LICENSE");
  EXPECT_EQ(Code(code.id).at("seats_used").as_int64(), 1);
  auto receipt = Answer(*release);
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_EQ(Code(code.id).at("seats_used").as_int64(), 0);
  ASSERT_OK(dev.ImportOfflineResponse(*receipt));
  // The seat is free for another device.
  ASSERT_OK(Device("laptop").Activate(code.code));
  EXPECT_CODE(dev.OfflineDeactivationRequest().status(), "NO_CURRENT_LICENSE");
}

TEST_F(OfflineActivationTest, ATypingMistakeIsCaughtOnTheDevice) {
  EXPECT_CODE(Gapped("factory")
                  .OfflineActivationRequest("AAAAA-AAAAA-AAAAA-AAAAA")
                  .status(),
              "INVALID_CODE_FORMAT");
  EXPECT_CODE(Gapped("factory").ImportOfflineResponse("{}"), "INVALID_REQUEST");
}

// A reserve, and the rollover to it, through files: the air-gapped device
// adds a reserve, has it prepared ahead of its license's end, and switches
// to it at the end with no gap and no network.
TEST_F(OfflineActivationTest, AReserveAndItsRolloverByFile) {
  IssuedCode current = NewCode(30);
  IssuedCode reserve = NewCode(365, 1, "term", {{"prepare_days", 7}});
  LicenseManager& dev = Gapped("factory");
  ASSERT_OK(ActivateByFile(dev, current.code));
  std::int64_t end = Now() + 30 * 86400;
  // Rule 6 is checked on the device first, as online.
  EXPECT_CODE(dev.OfflineReserveRequest(current.code).status(),
              "RESERVE_IS_CURRENT_CODE");
  auto add = dev.OfflineReserveRequest(reserve.code);
  ASSERT_TRUE(add.ok()) << add.status().ToString();
  auto added = Answer(*add);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  ASSERT_OK(dev.ImportOfflineResponse(*added));
  EXPECT_EQ(dev.Details().reserve.state, ReserveState::kWaiting);
  EXPECT_EQ(dev.Details().reserve.masked_code, Masked(reserve));
  // Too early, then within the window.
  auto early = dev.OfflinePrepareRequest();
  ASSERT_TRUE(early.ok());
  EXPECT_API_ERROR(Answer(*early), "PREPARE_TOO_EARLY");
  Advance(25);
  auto prepare = dev.OfflinePrepareRequest();
  ASSERT_TRUE(prepare.ok());
  auto prepared = Answer(*prepare);
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  ASSERT_OK(dev.ImportOfflineResponse(*prepared));
  EXPECT_EQ(dev.Details().reserve.prepared_from, end);
  // A minute past the end: the check switches by itself.
  Advance(5, 60);
  ASSERT_OK(dev.Check());
  LicenseDetails d = dev.Details();
  EXPECT_EQ(d.masked_code, Masked(reserve));
  EXPECT_EQ(d.expires_at, end + 365 * 86400);
  EXPECT_EQ(Code(reserve.id).at("seats_used").as_int64(), 1);
}

TEST_F(OfflineActivationTest, AReserveRefusedByTheRulesIsRefusedByFile) {
  IssuedCode current = NewCode(365);
  IssuedCode blocked = NewCode(730);
  Block(blocked);
  LicenseManager& dev = Gapped("factory");
  ASSERT_OK(ActivateByFile(dev, current.code));
  auto add = dev.OfflineReserveRequest(blocked.code);
  ASSERT_TRUE(add.ok());
  EXPECT_API_ERROR(Answer(*add), "CODE_BLOCKED");
  EXPECT_CODE(dev.OfflinePrepareRequest().status(), "NO_RESERVE");
}

// The response file is signed by the server: a changed answer, or one
// signed by a server the application does not trust, is refused and
// changes nothing.
TEST_F(OfflineActivationTest, AChangedOrForeignResponseIsRefused) {
  IssuedCode code = NewCode(365, 2);
  LicenseManager& dev = Gapped("factory");
  auto request = dev.OfflineActivationRequest(code.code);
  ASSERT_TRUE(request.ok());
  auto response = Answer(*request);
  ASSERT_TRUE(response.ok());
  json::object file = json::parse(*response).as_object();
  auto payload = crypto::FromBase64(file.at("payload").as_string());
  ASSERT_TRUE(payload.has_value());
  json::object p =
      json::parse(std::string(payload->begin(), payload->end())).as_object();
  p["answer"].as_object()["license"].as_object()["max_devices"] = 999;
  std::string edited = json::serialize(p);
  file["payload"] = crypto::ToBase64Public(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(edited.data()), edited.size()));
  EXPECT_CODE(dev.ImportOfflineResponse(json::serialize(file)),
              "KEY_SIGNATURE_INVALID");
  EXPECT_EQ(dev.Details().state, LicenseState::kNone);
  // An application built for another server's key.
  auto foreign = Reopen(
      "elsewhere", "22.0",
      crypto::ToHex(crypto::GenerateSigningKeyPair().public_key), kNoServer);
  ASSERT_TRUE(foreign.ok());
  auto its_request = (*foreign)->OfflineActivationRequest(code.code);
  ASSERT_TRUE(its_request.ok());
  // The server refuses to answer it: the application could not verify
  // its keys (as online, before a seat is taken)...
  EXPECT_API_ERROR(Answer(*its_request), "KEY_UNKNOWN_SIGNER");
  // ...and the application refuses a file this server signed.
  EXPECT_CODE((*foreign)->ImportOfflineResponse(*response),
              "KEY_UNKNOWN_SIGNER");
  // The genuine answer still imports.
  ASSERT_OK(dev.ImportOfflineResponse(*response));
}

}  // namespace
}  // namespace licentia::testing
