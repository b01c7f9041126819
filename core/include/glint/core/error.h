// glint's exceptions: InputError for bad input a user can fix, Error for failures, ContractError for bugs.
#pragma once

#include <stdexcept>
#include <string>

namespace glint {

// A failure the user did not cause directly (I/O error, out of memory, device lost). Exit code 1.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Bad input: a missing, truncated or malformed file, a bad option value. The message names the file
// (or option) and the problem in one line. Exit code 2.
class InputError : public Error {
public:
    using Error::Error;
};

// A broken internal contract (a bug in glint). Thrown by GLINT_CHECK with file and line.
class ContractError : public Error {
public:
    using Error::Error;
};

[[noreturn]] void throw_contract_error(const char* condition, const std::string& message, const char* file,
                                       int line);

}  // namespace glint

// Checks an internal contract; throws ContractError naming the condition, file and line when it fails.
#define GLINT_CHECK(cond, msg)                                                        \
    do {                                                                              \
        if (!(cond)) ::glint::throw_contract_error(#cond, (msg), __FILE__, __LINE__); \
    } while (false)
