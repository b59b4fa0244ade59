// The only translation unit that includes Boost.Beast: it is heavy to
// compile, and nothing else needs it.
#include "server/http_server.h"

#include <fmt/format.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/http_status.h"
#include "core/mutex.h"
#include "core/thread_name.h"
#include "server/request_target.h"

namespace licentia::server {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kDrainLimit = std::chrono::seconds(5);
// Pauses of the accept loop after accept() failed for want of resources.
constexpr auto kAcceptPauseMin = std::chrono::milliseconds(10);
// What the watch on a connection awaiting a late response reads at most.
constexpr std::size_t kWatchBytes = 512;
constexpr auto kAcceptPauseMax = std::chrono::seconds(1);
// How long a refused connection may take to receive its refusal.
constexpr auto kRefusalTimeout = std::chrono::seconds(2);

// accept() errors that say the process or system is out of a resource; the
// next attempt would fail the same way at once.
// (By errno value: accept() reports system errors, and comparing with
// asio's error enums trips UBSan's vptr check inside Boost.System.)
bool IsResourceExhaustion(const boost::system::error_code& ec) {
  switch (ec.value()) {
    case EMFILE:  // the process's descriptor table
    case ENFILE:  // the system's
    case ENOBUFS:
    case ENOMEM:
      return true;
    default:
      return false;
  }
}

HttpResponse ErrorResponse(ErrorCode code, std::string_view message) {
  HttpResponse r;
  r.status = HttpStatusFor(code);
  // Built by hand: the transport has no JSON library, and these two strings
  // come from fixed text.
  r.body = fmt::format(R"({{"error":{{"code":"{}","message":"{}"}}}})",
                       ErrorCodeName(code), message);
  r.route = "(transport)";
  r.error_code = std::string(ErrorCodeName(code));
  return r;
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  RequestHandler handler;
  CompletionHook on_complete;

  asio::io_context ioc;
  // The acceptor is used by the accept loop and closed by BeginStop, which
  // run on different network threads: both go through this strand, as Asio
  // objects are not safe to use from two threads at once.
  asio::strand<asio::io_context::executor_type> accept_strand =
      asio::make_strand(ioc);
  tcp::acceptor acceptor{accept_strand};
  asio::signal_set signals{ioc, SIGINT, SIGTERM};
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};
  std::function<void()> on_stopping;  // set before Run

  // Open connections, in all and per client address.
  mutable Mutex conn_mu;
  std::int64_t open_connections GUARDED_BY(conn_mu) = 0;
  std::unordered_map<std::string, int> open_per_address GUARDED_BY(conn_mu);
  std::atomic<std::uint64_t> refused_connections{0};
  std::atomic<std::uint64_t> accept_errors{0};

  // Takes a connection slot for `address`: OK, or why not (the refusal).
  Status AdmitConnection(const std::string& address) {
    MutexLock lock(conn_mu);
    if (open_connections >= options.max_connections) {
      return Status(ErrorCode::kUnavailable,
                    "The server has too many open connections; try again "
                    "shortly.")
          .WithRetryAfter(1);
    }
    auto it = open_per_address.find(address);
    int mine = it == open_per_address.end() ? 0 : it->second;
    if (mine >= options.max_connections_per_address) {
      return Status(ErrorCode::kRateLimited,
                    fmt::format("This address has {} connections open, the "
                                "most allowed; close one and try again.",
                                options.max_connections_per_address))
          .WithRetryAfter(1);
    }
    ++open_per_address[address];
    ++open_connections;
    return Status::Ok();
  }

  void ReleaseConnection(const std::string& address) {
    MutexLock lock(conn_mu);
    --open_connections;
    auto it = open_per_address.find(address);
    if (it != open_per_address.end() && --it->second <= 0) {
      open_per_address.erase(it);
    }
  }

  // Gives the slot back when the session ends, however it ends.
  class ConnectionSlot {
   public:
    ConnectionSlot(Impl* impl, std::string address)
        : impl_(impl), address_(std::move(address)) {}
    ConnectionSlot(ConnectionSlot&& other) noexcept
        : impl_(std::exchange(other.impl_, nullptr)),
          address_(std::move(other.address_)) {}
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(ConnectionSlot&&) = delete;
    ~ConnectionSlot() {
      if (impl_) impl_->ReleaseConnection(address_);
    }
    const std::string& address() const { return address_; }

   private:
    Impl* impl_;
    std::string address_;
  };

  Impl(HttpServerOptions o, RequestHandler h, CompletionHook c)
      : options(std::move(o)),
        handler(std::move(h)),
        on_complete(std::move(c)),
        ioc(options.io_threads) {}

  static HttpResponse Internal() {
    return ErrorResponse(ErrorCode::kInternal,
                         "The server failed to handle this request.");
  }

  static HttpResponse SafeMake(const ResponseMaker& make) {
    try {
      return make();
    } catch (...) {
      return Internal();
    }
  }

  // Where a handler's response meets the coroutine waiting for it. Most
  // handlers respond before they return (reads); those responses are used
  // at once, without a trip through the scheduler. Later responses (writes
  // waiting for a commit) resume the coroutine on its own executor.
  class ResponseSlot {
   public:
    // Receives the ResponseMaker: it must run on a network thread.
    using Completion = std::function<void(ResponseMaker)>;

    void Deliver(ResponseMaker make) {
      MutexLock lock(mu_);
      if (!waiter_) {
        ready_ = std::move(make);
        return;
      }
      Completion waiter = std::move(waiter_);
      lock.Unlock();
      waiter(std::move(make));
    }
    // The response delivered so far, if any; afterwards waiting is needed.
    std::optional<ResponseMaker> TakeReady() {
      MutexLock lock(mu_);
      return std::exchange(ready_, std::nullopt);
    }
    // Calls `waiter` with the response once delivered (now, if it was).
    void Await(Completion waiter) {
      MutexLock lock(mu_);
      if (ready_) {
        ResponseMaker make = std::move(*ready_);
        ready_.reset();
        lock.Unlock();
        waiter(std::move(make));
        return;
      }
      waiter_ = std::move(waiter);
    }

   private:
    Mutex mu_;
    std::optional<ResponseMaker> ready_ GUARDED_BY(mu_);
    Completion waiter_ GUARDED_BY(mu_);
  };

  // A late response, and what wakes the session when it comes. Lives on
  // the session's strand.
  struct LateAnswer {
    explicit LateAnswer(const asio::any_io_executor& ex)
        : ready(ex, std::chrono::steady_clock::time_point::max()) {}
    std::optional<ResponseMaker> made;
    asio::cancellation_signal stop_watching;
    asio::steady_timer ready;
  };

  // Handles `req`. While its response is late and the handler asked to
  // hear of the client going (a device's long poll: ClientGone::OnGone),
  // the connection is watched: a client that closes it is reported
  // through req.client_gone, so the long poll lets go of its waiter at
  // once. Bytes a client sends meanwhile (a pipelined request) are kept
  // in `buffer` for the next read. Other late answers (a write waiting
  // for its commit) are not watched: they end within milliseconds.
  asio::awaitable<HttpResponse> Handle(const HttpRequest& req,
                                       beast::tcp_stream& stream,
                                       beast::flat_buffer& buffer) {
    auto slot = std::make_shared<ResponseSlot>();
    try {
      handler(req,
              [slot](ResponseMaker make) { slot->Deliver(std::move(make)); });
    } catch (...) {
      slot->Deliver([] { return Internal(); });
    }
    if (auto ready = slot->TakeReady()) co_return SafeMake(*ready);
    auto ex = co_await asio::this_coro::executor;
    auto late = std::make_shared<LateAnswer>(ex);
    slot->Await([late, ex](ResponseMaker make) {
      asio::post(ex, [late, make = std::move(make)]() mutable {
        late->made = std::move(make);
        late->stop_watching.emit(asio::cancellation_type::all);
        late->ready.cancel();
      });
    });
    if (req.client_gone && req.client_gone->Watched()) {
      stream.expires_never();  // a long poll outlasts the idle timeout
      auto [ec, bytes] = co_await stream.async_read_some(
          buffer.prepare(kWatchBytes),
          asio::bind_cancellation_slot(late->stop_watching.slot(),
                                       asio::as_tuple(asio::use_awaitable)));
      if (!ec) buffer.commit(bytes);
      if (ec && !late->made) req.client_gone->Fire();
    }
    // Same strand as the delivery above: `made` cannot be set between the
    // test and the wait.
    if (!late->made) {
      co_await late->ready.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return SafeMake(*late->made);
  }

  static bool ToRequest(const http::request<http::string_body>& in,
                        const std::string& remote, HttpRequest& out) {
    out.method = std::string(in.method_string());
    out.remote_address = remote;
    out.body = in.body();
    if (auto it = in.find(http::field::authorization); it != in.end()) {
      out.authorization = std::string(it->value());
    }
    if (auto it = in.find(http::field::cookie); it != in.end()) {
      out.cookie = std::string(it->value());
    }
    if (auto it = in.find("X-Licentia-CSRF"); it != in.end()) {
      out.csrf_token = std::string(it->value());
    }
    return ParseRequestTarget(in.target(), out);
  }

  // Takes the response by value: its body (an activation's is over a
  // kilobyte) is moved into the message, not copied.
  asio::awaitable<void> Write(beast::tcp_stream& stream, HttpResponse r,
                              unsigned version, bool keep_alive) {
    if (r.stream) {
      co_await WriteStreamed(stream, std::move(r), version, keep_alive);
      co_return;
    }
    http::response<http::string_body> res{static_cast<http::status>(r.status),
                                          version};
    res.set(http::field::server, "licentiad");
    res.set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res.set(k, v);
    res.keep_alive(keep_alive);
    res.body() = std::move(r.body);
    res.prepare_payload();
    stream.expires_after(std::chrono::seconds(options.idle_timeout_seconds));
    co_await http::async_write(stream, res,
                               asio::as_tuple(asio::use_awaitable));
  }

  // A streamed body (BodyStream): the header, then each piece as a chunk
  // as soon as it is made, then the last chunk. A piece that fails ends
  // the connection without the last chunk.
  asio::awaitable<void> WriteStreamed(beast::tcp_stream& stream, HttpResponse r,
                                      unsigned version, bool keep_alive) {
    http::response<http::empty_body> res{static_cast<http::status>(r.status),
                                         version};
    res.set(http::field::server, "licentiad");
    res.set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res.set(k, v);
    res.keep_alive(keep_alive);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    stream.expires_after(std::chrono::seconds(options.idle_timeout_seconds));
    auto [ec, n] = co_await http::async_write_header(
        stream, sr, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    auto ex = co_await asio::this_coro::executor;
    for (bool more = true; more;) {
      // The next piece, made on whatever thread the stream uses, wakes
      // this coroutine on its own strand.
      struct Piece {
        explicit Piece(const asio::any_io_executor& e)
            : ready(e, std::chrono::steady_clock::time_point::max()) {}
        std::optional<Result<std::string>> text;
        bool more = false;
        asio::steady_timer ready;
      };
      auto piece = std::make_shared<Piece>(ex);
      r.stream->Next([piece, ex](Result<std::string> text, bool more) {
        asio::post(ex, [piece, text = std::move(text), more]() mutable {
          piece->text = std::move(text);
          piece->more = more;
          piece->ready.cancel();
        });
      });
      if (!piece->text) {
        co_await piece->ready.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      if (!piece->text->ok()) {
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream.socket().close(ignored);
        co_return;
      }
      more = piece->more;
      const std::string& text = **piece->text;
      stream.expires_after(std::chrono::seconds(options.idle_timeout_seconds));
      if (!text.empty()) {
        std::tie(ec, n) = co_await asio::async_write(
            stream, http::make_chunk(asio::buffer(text)),
            asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
      }
    }
    std::tie(ec, n) = co_await asio::async_write(
        stream, http::make_chunk_last(), asio::as_tuple(asio::use_awaitable));
  }

  // Answers a request the transport itself refuses, and closes.
  asio::awaitable<void> Refuse(beast::tcp_stream& stream,
                               const std::string& remote, const Status& why) {
    HttpRequest req;
    req.method = req.path = "?";
    req.remote_address = remote;
    HttpResponse r = ErrorResponse(why.code(), why.message());
    if (why.retry_after_seconds() > 0) {
      r.headers.emplace_back("Retry-After",
                             std::to_string(why.retry_after_seconds()));
    }
    if (on_complete) on_complete(req, r, 0);
    co_await Write(stream, std::move(r), 11, false);
  }

  // A request whose body length cannot be known safely: RFC 9112 section
  // 6.3 says such a message must be refused and the connection closed.
  static bool AmbiguousBodyLength(
      const http::request_parser<http::string_body>& parser) {
    const auto& h = parser.get();
    if (h.find(http::field::transfer_encoding) == h.end()) return false;
    return !parser.chunked() || h.find(http::field::content_length) != h.end();
  }

  asio::awaitable<void> Session(tcp::socket socket, ConnectionSlot slot) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    boost::system::error_code ignored;
    const std::string& remote = slot.address();
    // One per connection, not per request: requests on a connection are
    // handled one at a time, and only a long poll subscribes to it.
    auto client_gone = std::make_shared<ClientGone>();
    while (!stopping.load()) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options.max_body_bytes);
      parser.header_limit(16 * 1024);
      stream.expires_after(std::chrono::seconds(options.idle_timeout_seconds));
      auto [ec, bytes] = co_await http::async_read_header(
          stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
      if (!ec && AmbiguousBodyLength(parser)) {
        co_await Refuse(stream, remote,
                        Status(ErrorCode::kInvalidRequest,
                               "Transfer-Encoding must end with chunked and "
                               "come without Content-Length."));
        break;
      }
      if (!ec && !parser.is_done()) {
        std::tie(ec, bytes) = co_await http::async_read(
            stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
      }
      (void)bytes;
      if (ec) {
        if (ec == http::error::body_limit || ec == http::error::header_limit) {
          co_await Refuse(
              stream, remote,
              Status(ErrorCode::kPayloadTooLarge,
                     fmt::format("The request is larger than {} bytes.",
                                 options.max_body_bytes)));
        } else if (ec != http::error::end_of_stream && ec != asio::error::eof &&
                   ec != beast::error::timeout &&
                   ec != asio::error::connection_reset &&
                   ec != asio::error::operation_aborted) {
          co_await Refuse(stream, remote,
                          Status(ErrorCode::kInvalidRequest,
                                 "The request is not valid HTTP."));
        }
        break;
      }
      const auto& in = parser.get();
      bool keep_alive = in.keep_alive() && !stopping.load();
      auto started = std::chrono::steady_clock::now();
      HttpRequest req;
      HttpResponse res;
      in_flight.fetch_add(1);
      if (!ToRequest(in, remote, req)) {
        res = ErrorResponse(ErrorCode::kInvalidRequest,
                            "The request target is not a valid path.");
      } else {
        client_gone->Reset();
        req.client_gone = client_gone;
        res = co_await Handle(req, stream, buffer);
      }
      in_flight.fetch_sub(1);
      double ms = std::chrono::duration<double, std::milli>(
                      std::chrono::steady_clock::now() - started)
                      .count();
      if (on_complete) on_complete(req, res, ms);
      co_await Write(stream, std::move(res), in.version(), keep_alive);
      if (!keep_alive) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  // A connection over a cap: told why, then closed.
  asio::awaitable<void> RefuseConnection(tcp::socket socket, std::string remote,
                                         Status why) {
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(kRefusalTimeout);
    co_await Refuse(stream, remote, why);
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<void> Accept() {
    asio::steady_timer pause(accept_strand);
    std::chrono::steady_clock::duration pause_for = kAcceptPauseMin;
    while (acceptor.is_open()) {
      auto [ec, socket] = co_await acceptor.async_accept(
          asio::make_strand(ioc), asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (!acceptor.is_open()) break;
        accept_errors.fetch_add(1, std::memory_order_relaxed);
        if (IsResourceExhaustion(ec)) {
          // Retrying at once would fail the same way and burn a core
          // while the connections being served starve; wait for some to
          // close.
          pause.expires_after(pause_for);
          co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
          pause_for = std::min<std::chrono::steady_clock::duration>(
              pause_for * 2, kAcceptPauseMax);
        }
        continue;
      }
      pause_for = kAcceptPauseMin;
      boost::system::error_code addr_ec;
      std::string remote =
          socket.remote_endpoint(addr_ec).address().to_string();
      auto ex = socket.get_executor();
      Status admitted = AdmitConnection(remote);
      if (!admitted.ok()) {
        refused_connections.fetch_add(1, std::memory_order_relaxed);
        asio::co_spawn(ex,
                       RefuseConnection(std::move(socket), std::move(remote),
                                        std::move(admitted)),
                       asio::detached);
        continue;
      }
      asio::co_spawn(ex,
                     Session(std::move(socket), ConnectionSlot(this, remote)),
                     asio::detached);
    }
  }

  asio::awaitable<void> Drain() {
    asio::steady_timer timer(ioc);
    auto deadline = std::chrono::steady_clock::now() + kDrainLimit;
    while (in_flight.load() > 0 &&
           std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(10));
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    ioc.stop();
  }

  void BeginStop() {
    if (stopping.exchange(true)) return;
    asio::dispatch(accept_strand, [this] {
      boost::system::error_code ignored;
      acceptor.close(ignored);
    });
    boost::system::error_code ignored;
    signals.cancel(ignored);
    if (on_stopping) on_stopping();
    asio::co_spawn(ioc, Drain(), asio::detached);
  }
};

HttpServer::HttpServer(HttpServerOptions options, RequestHandler handler,
                       CompletionHook on_complete)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler),
                                   std::move(on_complete))) {}

HttpServer::~HttpServer() { impl_->ioc.stop(); }

Result<std::uint16_t> HttpServer::Listen() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(impl_->options.host, ec);
  if (ec) {
    return Status(ErrorCode::kInvalidRequest,
                  fmt::format("'{}' is not an IP address to listen on.",
                              impl_->options.host));
  }
  tcp::endpoint endpoint(address, impl_->options.port);
  auto& acc = impl_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(
        ErrorCode::kUnavailable,
        fmt::format("Cannot listen on {}:{}: {}.", impl_->options.host,
                    impl_->options.port, ec.message()));
  }
  return acc.local_endpoint().port();
}

void HttpServer::OnStopping(std::function<void()> hook) {
  impl_->on_stopping = std::move(hook);
}

void HttpServer::Run() {
  Impl& s = *impl_;
  s.signals.async_wait([&s](const boost::system::error_code& ec, int) {
    if (!ec) s.BeginStop();
  });
  asio::co_spawn(s.accept_strand, s.Accept(), asio::detached);
  std::vector<std::thread> threads;
  for (int i = 1; i < s.options.io_threads; ++i) {
    threads.emplace_back([&s] {
      SetCurrentThreadName("lic-net");
      s.ioc.run();
    });
  }
  s.ioc.run();
  for (auto& t : threads) t.join();
}

TransportStats HttpServer::GetStats() const {
  TransportStats stats;
  {
    MutexLock lock(impl_->conn_mu);
    stats.open_connections = impl_->open_connections;
  }
  stats.refused_connections = impl_->refused_connections.load();
  stats.accept_errors = impl_->accept_errors.load();
  return stats;
}

void HttpServer::Stop() {
  asio::post(impl_->ioc, [this] { impl_->BeginStop(); });
}

}  // namespace licentia::server
