#include "store/store.h"

namespace licentia::store {

Result<CodeSeat> Transaction::FindCodeSeat(const crypto::Hash& code_hash,
                                           const crypto::Hash& device_hash) {
  CodeSeat out;
  LICENTIA_ASSIGN_OR_RETURN(out.code, FindCodeByHash(code_hash));
  if (!out.code) return out;
  LICENTIA_ASSIGN_OR_RETURN(out.activation,
                            FindActiveActivation(out.code->id, device_hash));
  LICENTIA_ASSIGN_OR_RETURN(out.reserve,
                            FindReserve(device_hash, out.code->terms.product));
  return out;
}

}  // namespace licentia::store
