# Pins surveyindex.index's normalisations and aggregations to COINr's own functions (COINr 1.1.14,
# built from its CRAN source: R CMD INSTALL COINr; Imports openxlsx, rlang, ggplot2, readxl from
# Debian), on the same X as index_methods.R. COINr's n_* normalise one indicator (a column),
# its a_* aggregate one unit (a row) with the weights rescaled to sum to 1.
# Regenerate: R_LIBS=<where COINr is> Rscript tests/reference/coinr.R -> coinr.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
suppressPackageStartupMessages(library(COINr))
env <- new.env()
setup <- INDEX_X_SETUP
run(setup, env)
calls <- list(
  minmax = 'apply(X, 2, COINr::n_minmax, l_u = c(0, 100))',
  zscore = 'apply(X, 2, COINr::n_zscore)',
  rank = 'apply(X, 2, COINr::n_rank, ties.method = "average")',
  goalposts = 'apply(X, 2, COINr::n_goalposts, gposts = c(1.5, 4.5, 100))',
  arithmetic = 'apply(X, 1, COINr::a_amean, w = c(1, 2, 3, 2.5, 1.5))',
  geometric = 'apply(X, 1, COINr::a_gmean, w = c(1, 2, 3, 2.5, 1.5))',
  generalised_p2 = 'apply(X, 1, COINr::a_genmean, w = c(1, 2, 3, 2.5, 1.5), p = 2)',
  harmonic = 'apply(X, 1, COINr::a_genmean, w = c(1, 2, 3, 2.5, 1.5), p = -1)'
)
out <- list(meta = meta(c("COINr")), setup = setup, data = list(X = env$X),
            calls = calls, values = lapply(calls, function(code) unname(run(code, env))))
write_json_file(out, "coinr.json")
