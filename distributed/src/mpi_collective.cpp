// The world's MPI ranks as a Collective. Sums are made in rank order on every rank from all the ranks'
// values (an all-gather, then a sum per element), so that every rank gets the same bits whatever MPI's
// own reduction order would be.
#include <mpi.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <climits>
#include <vector>

#include "glint/core/error.h"
#include "glint/core/text.h"
#include "glint/distributed/mpi.h"

namespace glint::distributed {
namespace {

void check(int code, const char* what) {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    throw Error(cat("MPI ", what, " failed: ", std::string(text, static_cast<std::size_t>(length))));
}

// `all` holds every rank's values between calls, so that a training run's exchange reuses its pages.
template <typename T>
void sum_in_order(std::span<T> values, MPI_Datatype type, int ranks, std::vector<T>& all) {
    if (values.size() > static_cast<std::size_t>(INT_MAX))
        throw Error(cat("MPI: ", values.size(), " values in one exchange (at most ", INT_MAX, ")"));
    const std::size_t n = values.size();
    all.resize(n * static_cast<std::size_t>(ranks));
    check(MPI_Allgather(values.data(), static_cast<int>(n), type, all.data(), static_cast<int>(n), type,
                        MPI_COMM_WORLD),
          "all-gather");
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, std::size_t{1} << 14), [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
            T sum = T(0);
            for (int r = 0; r < ranks; ++r) sum += all[static_cast<std::size_t>(r) * n + i];
            values[i] = sum;
        }
    });
}

class MpiCollective final : public Collective {
public:
    MpiCollective() {
        int initialised = 0;
        MPI_Initialized(&initialised);
        if (!initialised) check(MPI_Init(nullptr, nullptr), "initialisation");
        MPI_Comm_rank(MPI_COMM_WORLD, &m_rank);
        MPI_Comm_size(MPI_COMM_WORLD, &m_size);
    }
    ~MpiCollective() override {
        int finalised = 0;
        MPI_Finalized(&finalised);
        if (!finalised) MPI_Finalize();
    }
    int rank() const override { return m_rank; }
    int size() const override { return m_size; }
    void sum_in_rank_order(std::span<float> values) override {
        sum_in_order(values, MPI_FLOAT, m_size, m_floats);
    }
    void sum_in_rank_order(std::span<double> values) override {
        sum_in_order(values, MPI_DOUBLE, m_size, m_doubles);
    }
    bool any(bool flag) override {
        int mine = flag ? 1 : 0, all = 0;
        check(MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "all-reduce");
        return all != 0;
    }

private:
    int m_rank = 0, m_size = 1;
    std::vector<float> m_floats;
    std::vector<double> m_doubles;
};

}  // namespace

std::unique_ptr<Collective> start_mpi() {
    return std::make_unique<MpiCollective>();
}

}  // namespace glint::distributed
