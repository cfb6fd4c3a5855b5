#pragma once
// The optimal search over the generalization lattice.
//
// Transformations are visited in order of a lower bound on their information loss (the loss with
// nothing suppressed), so the search can stop as soon as the bound exceeds the best loss found.
// Before a transformation's classes are computed, the search tries to settle it by monotonicity:
// it walks a chain of ever coarser transformations above it and binary-searches that chain for
// the boundary between failing and satisfying; a failing transformation makes every finer one
// fail (and, for models monotonic under suppression, a satisfying one makes every coarser one
// satisfy), so one evaluation high in the lattice settles many below it.

#include "tokumei/anon/anonymizer.h"
#include "tokumei/anon/detail/problem.h"

namespace tokumei::anon::detail {

// Finds the optimum (or the closest candidate) for a prepared problem.
Anonymization search(const Problem& p, const std::function<void(double)>& progress);

}  // namespace tokumei::anon::detail
