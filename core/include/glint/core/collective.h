// Collective operations across the processes of a distributed training run (MPI ranks). Training holds
// the same scene on every rank; each rank renders its share of every step's views, and the sums below
// make every rank take the same step. A run in one process has no Collective (nullptr).
#pragma once

#include <span>

namespace glint {

class Collective {
public:
    virtual ~Collective() = default;
    virtual int rank() const = 0;  // 0 .. size() - 1; rank 0 writes outputs and the progress display
    virtual int size() const = 0;
    // Every rank's `values` (the same length everywhere) summed element by element in rank order,
    // 0 + rank 0's + rank 1's + ..., into `values` on every rank: the same bits everywhere, and for one
    // view per rank the same bits as one process summing those views in order.
    virtual void sum_in_rank_order(std::span<float> values) = 0;
    virtual void sum_in_rank_order(std::span<double> values) = 0;
    // Whether any rank passed true (on every rank).
    virtual bool any(bool flag) = 0;
};

}  // namespace glint
