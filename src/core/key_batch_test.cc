#include "core/key_batch.h"

#include <gtest/gtest.h>

#include <string>

namespace licentia {
namespace {

std::vector<crypto::Hash> Leaves(size_t n) {
  std::vector<crypto::Hash> leaves(n);
  for (size_t i = 0; i < n; ++i) {
    LeafSalt salt{};
    std::string payload = "payload " + std::to_string(i);
    leaves[i] = BatchLeafHash(
        salt, std::span(reinterpret_cast<const std::uint8_t*>(payload.data()),
                        payload.size()));
  }
  return leaves;
}

TEST(KeyBatchTest, EveryLeafsProofLeadsToTheRoot) {
  for (size_t n = 1; n <= kMaxBatchKeys; n += (n < 20 ? 1 : 37)) {
    auto leaves = Leaves(n);
    BatchTree tree = BuildBatchTree(leaves);
    EXPECT_EQ(size_t{1} << tree.depth >= n, true);
    EXPECT_TRUE(tree.depth == 0 || (size_t{1} << (tree.depth - 1)) < n);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(tree.siblings[i].size(), tree.depth);
      EXPECT_EQ(BatchRootFromProof(leaves[i], static_cast<std::uint32_t>(i),
                                   tree.siblings[i]),
                tree.root)
          << n << " " << i;
    }
  }
}

TEST(KeyBatchTest, AProofDoesNotFitAnotherLeafOrPosition) {
  auto leaves = Leaves(6);
  BatchTree tree = BuildBatchTree(leaves);
  EXPECT_NE(BatchRootFromProof(leaves[1], 0, tree.siblings[0]), tree.root);
  EXPECT_NE(BatchRootFromProof(leaves[0], 1, tree.siblings[0]), tree.root);
  // A padding position is not a leaf of the batch.
  EXPECT_NE(BatchRootFromProof(leaves[5], 6, tree.siblings[5]), tree.root);
}

TEST(KeyBatchTest, TheRootDependsOnEveryLeafAndItsOrder) {
  auto leaves = Leaves(5);
  crypto::Hash root = BuildBatchTree(leaves).root;
  std::swap(leaves[0], leaves[1]);
  EXPECT_NE(BuildBatchTree(leaves).root, root);
  auto fewer = Leaves(4);
  EXPECT_NE(BuildBatchTree(fewer).root, root);
  // A single key's root is its leaf.
  EXPECT_EQ(BuildBatchTree(Leaves(1)).root, Leaves(1)[0]);
}

TEST(KeyBatchTest, TheSignedMessageNamesItsContextDepthAndRoot) {
  crypto::Hash root{};
  root.fill(0xab);
  crypto::Bytes m = BatchRootMessage(3, root);
  std::string context = "licentia/key-batch/v2";
  ASSERT_EQ(m.size(), context.size() + 2 + crypto::kHashBytes);
  EXPECT_EQ(std::string(m.begin(), m.begin() + context.size()), context);
  EXPECT_EQ(m[context.size()], 0);
  EXPECT_EQ(m[context.size() + 1], 3);
  EXPECT_EQ(m.back(), 0xab);
}

}  // namespace
}  // namespace licentia
