# Pins the composite-indicator building blocks of surveyindex.index against base R:
# normalisation (scale() z-scores with sd n-1, rank() with average ties, min-max),
# PCA weights (prcomp on standardised data: squared first-component loadings scaled to sum 1),
# driver weights (lm() with weights=: WLS coefficients), aggregation (arithmetic, geometric,
# generalised mean) written out with the OECD/JRC Handbook (2008) formulas.
# Regenerate: Rscript tests/reference/index_methods.R -> index_methods.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
env <- new.env()
setup <- paste(
  INDEX_X_SETUP,
  'n <- 300; S <- matrix(round(rnorm(n * 5, 3, 0.8), 3), n, 5)',
  'y <- round(1 + S %*% c(0.9, 0.5, 0.2, -0.1, 0.4) + rnorm(n, 0, 0.7), 3)',
  'w <- round(runif(n, 0.5, 2.5), 3)',
  sep = "\n")
run(setup, env)
calls <- list(
  zscore = 'apply(X, 2, function(x) (x - mean(x)) / sd(x))',
  rank = 'apply(X, 2, rank, ties.method = "average")',
  minmax = 'apply(X, 2, function(x) 100 * (x - min(x)) / (max(x) - min(x)))',
  pca_weights = 'local({ p <- prcomp(X, scale. = TRUE); l <- p$rotation[, 1]; l^2 / sum(l^2) })',
  pca_share = 'local({ p <- prcomp(X, scale. = TRUE); p$sdev[1]^2 / sum(p$sdev^2) })',
  driver_coef = 'unname(coef(lm(drop(y) ~ S, weights = w)))',
  arithmetic = 'local({ v <- c(0.1, 0.2, 0.3, 0.25, 0.15); drop(X %*% v) })',
  geometric = 'local({ v <- c(0.1, 0.2, 0.3, 0.25, 0.15); apply(X, 1, function(x) prod(x^v)) })',
  generalised_p2 = 'local({ v <- c(0.1, 0.2, 0.3, 0.25, 0.15); apply(X, 1, function(x) sum(v * x^2)^(1/2)) })'
)
out <- list(meta = meta(c("stats")), setup = setup,
            data = list(X = env$X, S = env$S, y = drop(env$y), w = env$w),
            calls = calls, values = lapply(calls, function(code) run(code, env)))
write_json_file(out, "index_methods.json")
