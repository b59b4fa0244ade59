// Batch signing of license keys (format 2, docs/license-key.md): the keys
// of a batch are the leaves of a Merkle tree and one Ed25519 signature
// covers its root, so a server issuing many keys at once signs once per
// batch instead of once per key. Each key carries the sibling hashes that
// lead from its leaf to the root.
//
// Hashes are BLAKE2b-256 with a one-byte domain prefix: 0x00 for a leaf
// (salt || payload), 0x01 for an inner node (left || right), 0x02 for the
// padding leaves that fill a batch up to a power of two. A leaf can
// therefore never pass for a node or a padding leaf, nor the reverse. The
// salt (random per key) hides the other keys of a batch: a key reveals only
// hashes of salted payloads it cannot invert.
#ifndef LICENTIA_CORE_KEY_BATCH_H_
#define LICENTIA_CORE_KEY_BATCH_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/crypto.h"

namespace licentia {

constexpr std::size_t kMaxBatchDepth = 8;
constexpr std::size_t kMaxBatchKeys = std::size_t{1} << kMaxBatchDepth;
constexpr std::size_t kLeafSaltBytes = 16;
using LeafSalt = std::array<std::uint8_t, kLeafSaltBytes>;

// The leaf hash of one key: BLAKE2b-256(0x00 || salt || payload bytes).
crypto::Hash BatchLeafHash(const LeafSalt& salt,
                           std::span<const std::uint8_t> payload);

// What the batch signature covers: the ASCII text "licentia/key-batch/v2",
// a zero byte, the tree depth (one byte) and the 32-byte root.
crypto::Bytes BatchRootMessage(std::uint8_t depth, const crypto::Hash& root);

struct BatchTree {
  std::uint8_t depth = 0;  // ceil(log2(number of leaves))
  crypto::Hash root{};
  // siblings[i]: the `depth` hashes from leaf i's level up to the root.
  std::vector<std::vector<crypto::Hash>> siblings;
};

// REQUIRES: 1 <= leaves.size() <= kMaxBatchKeys.
BatchTree BuildBatchTree(std::span<const crypto::Hash> leaves);

// The root reached from `leaf` at position `index` with `siblings` (leaf
// level first): bit k of `index` says whether the node at level k is a
// right child. Callers check index < 2^siblings.size().
crypto::Hash BatchRootFromProof(const crypto::Hash& leaf, std::uint32_t index,
                                std::span<const crypto::Hash> siblings);

}  // namespace licentia

#endif  // LICENTIA_CORE_KEY_BATCH_H_
