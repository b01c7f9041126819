// Contract-violation reporting for GLINT_CHECK.
#include "glint/core/error.h"

namespace glint {

void throw_contract_error(const char* condition, const std::string& message, const char* file, int line) {
    throw ContractError(std::string(file) + ":" + std::to_string(line) + ": check '" + condition +
                        "' failed: " + message);
}

}  // namespace glint
