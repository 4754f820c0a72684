# Pins surveyindex.index.factor_weights: factor-analysis dimension weights as in the OECD/JRC
# Handbook on Constructing Composite Indicators (2008), section 6.1 (Nicoletti et al. 2000).
#
#   1. correlation matrix of the indicators (cor), its eigen decomposition (eigen);
#   2. factors retained: the leading components with eigenvalue > 1 and more than 10% of the
#      variance; if they explain no more than 60% together, the next ones are added until they do;
#   3. principal-component loadings (eigenvector * sqrt(eigenvalue)) rotated with
#      stats::varimax(normalize = TRUE) (Kaiser normalisation). varimax stops when its criterion
#      (the sum of singular values) stops growing by a factor 1 + eps; the criterion is flat at
#      the optimum, so even eps = 0 leaves the rotation off by about 1e-8 (the default eps = 1e-5
#      by up to 1e-3 in the weights; printed below). To converge to machine precision, varimax is
#      applied again to its own output until the rotation it returns is the identity to 1e-15
#      (the communalities, hence the Kaiser normalisation, are unchanged by a rotation);
#   4. squared rotated loadings scaled to unity sum per factor; each indicator goes to the factor
#      where its scaled squared loading is largest; the factors (intermediate composites) are
#      weighted by their share of the rotated explained variance; an indicator's weight is its
#      scaled squared loading times its factor's share, normalised to sum to one.
#
# Factors are put in order of rotated explained variance (largest first) so the columns compare.
# Cases: swiss and state.x77 (shipped with R, package datasets), X (the 12 x 5 matrix of
# index_methods.R, typed in) and H (a hand-written 12 x 5 matrix whose factors with eigenvalue
# > 1 explain only 55%, so the 60% rule adds a third).
#
# Run: Rscript tests/reference/factor_weights.R   (R 4.2.2, base stats only). It prints the
# numbers with 17 significant digits; tests/test_index_factor_weights.py pins them.

X <- matrix(c(3.55, 2.61, 1.69, 3.89, 3.91,  2.88, 2.52, 3.36, 3.73, 4.73,
              1.21, 2.83, 4.97, 4.75, 1.63,  4.37, 3.27, 3.76, 4.40, 2.57,
              1.21, 2.40, 1.99, 3.66, 4.31,  1.15, 2.62, 4.21, 2.91, 3.95,
              2.86, 2.85, 1.76, 3.31, 3.14,  2.96, 2.30, 4.77, 3.12, 1.95,
              4.35, 3.40, 4.93, 4.51, 3.57,  2.84, 2.31, 2.17, 4.41, 3.10,
              3.85, 3.15, 1.99, 2.65, 1.73,  2.74, 3.37, 3.10, 1.01, 2.40),
            ncol = 5, byrow = TRUE)
H <- matrix(c(7, 4, 6, 2, 9,  1, 3, 6, 1, 5,  2, 9, 3, 8, 3,  8, 1, 1, 3, 5,
              2, 6, 5, 1, 4,  5, 9, 3, 3, 2,  5, 8, 4, 4, 6,  1, 6, 4, 6, 9,
              3, 4, 4, 2, 4,  1, 3, 5, 4, 7,  9, 4, 9, 8, 3,  5, 7, 8, 3, 6),
            ncol = 5, byrow = TRUE)

handbook_weights <- function(data, eps = 0, converge = TRUE) {
  r <- cor(data)
  e <- eigen(r, symmetric = TRUE)
  K <- ncol(data)
  share <- e$values / K
  m <- max(1, sum(e$values > 1 & share > 0.10))
  while (sum(share[seq_len(m)]) <= 0.60 && m < K) m <- m + 1
  A <- e$vectors[, seq_len(m), drop = FALSE] %*% diag(sqrt(e$values[seq_len(m)]), m)
  L <- A
  if (m > 1) for (restart in 1:100) {       # varimax again until it is a fixed point (see top)
    v <- varimax(L, normalize = TRUE, eps = eps)
    L <- unclass(v$loadings)
    if (!converge || max(abs(v$rotmat - diag(m))) < 1e-15) break
  }
  ev <- colSums(L^2)
  o <- order(ev, decreasing = TRUE)
  L <- L[, o, drop = FALSE]
  ev <- ev[o]
  S <- sweep(L^2, 2, ev, "/")                  # squared loadings scaled to unity sum per factor
  fshare <- ev / sum(ev)                       # weights of the intermediate composites
  j <- apply(S, 1, which.max)
  w <- S[cbind(seq_len(K), j)] * fshare[j]
  list(eigenvalues = e$values, n_factors = m, scaled_sq_loadings = S, explained = ev / K,
       factor_share = fshare, factor = j, weights = w / sum(w))
}

show <- function(x) paste0("[", paste(sprintf("%.17g", x), collapse = ", "), "]")
cat(R.version.string, "\n")
for (case in list(list("swiss", as.matrix(swiss)), list("state.x77", state.x77),
                  list("X", X), list("H", H))) {
  res <- handbook_weights(case[[2]])
  loose <- handbook_weights(case[[2]], eps = 1e-5, converge = FALSE)
  cat("\n#", case[[1]], "\n")
  cat("eigenvalues =", show(res$eigenvalues), "\n")
  cat("n_factors =", res$n_factors, "\n")
  cat("explained =", show(res$explained), "\n")
  cat("factor_share =", show(res$factor_share), "\n")
  cat("factor =", show(res$factor - 1), "\n")
  cat("weights =", show(res$weights), "\n")
  cat("scaled_sq_loadings =", "[", paste(apply(res$scaled_sq_loadings, 1, show), collapse = ", "),
      "]\n")
  cat("max |weights(varimax defaults) - weights| =",
      sprintf("%.3g", max(abs(loose$weights - res$weights))), "\n")
}
