# A second design-weighted invariance case, unlike HolzingerSwineford's two schools: psych's bfi
# (data/bfi.csv), Conscientiousness (C4, C5 reverse-keyed as 7 - x) and Neuroticism, two
# correlated 5-item factors, across the 5 education levels (complete cases, 2407 rows), with a
# made-up deterministic weight w = 0.5 + ((7 * row) %% 13) / 6 (0.5 to 2.5). lavaan 0.6.14
# estimator="MLR" with sampling.weights: configural, metric and scalar fits, Satorra-Bentler
# (2001) differences, lavTestScore of the scalar model.
# Regenerate: Rscript tests/reference/lavaan_bfi.R -> lavaan_bfi.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
env <- new.env()
assign("dd", script_dir(), envir = env)
setup <- 'b <- read.csv(file.path(dd, "data", "bfi.csv"))
b <- b[complete.cases(b[, c(paste0("C", 1:5), paste0("N", 1:5), "education")]), ]
b$C4 <- 7 - b$C4; b$C5 <- 7 - b$C5
b$w <- 0.5 + ((7 * seq_len(nrow(b))) %% 13) / 6
b$edu <- paste0("edu", b$education)
m2 <- "C =~ C1 + C2 + C3 + C4 + C5
N =~ N1 + N2 + N3 + N4 + N5"'
run(setup, env)
out <- list(meta = meta(c("lavaan")), setup = setup, cases = list())
out$cases$configural <- fit_case('fit.config <- cfa(m2, data=b, group="edu", estimator="MLR", sampling.weights="w")')
out$cases$metric <- fit_case('fit.metric <- cfa(m2, data=b, group="edu", estimator="MLR", sampling.weights="w", group.equal="loadings")')
out$cases$scalar <- fit_case('fit.scalar <- cfa(m2, data=b, group="edu", estimator="MLR", sampling.weights="w", group.equal=c("loadings","intercepts"))')
out$cases$sb2001_config_metric <- lrt_case('lavTestLRT(fit.config, fit.metric, method="satorra.bentler.2001")')
out$cases$sb2001_metric_scalar <- lrt_case('lavTestLRT(fit.metric, fit.scalar, method="satorra.bentler.2001")')
out$cases$score_mlr <- score_case("fit.scalar", 'lavTestScore(fit.scalar)')
write_json_file(out, "lavaan_bfi.json")
