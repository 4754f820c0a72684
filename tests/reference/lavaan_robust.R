# Pins design-weighted CFA: lavaan estimator="MLR" with sampling.weights (pseudo-ML, robust
# Huber-White SEs, Yuan-Bentler (Mplus variant) scaled chi-square and its scaling factor, robust
# CFI/TLI/RMSEA), multi-group configural / metric / scalar by school with Satorra-Bentler (2001)
# scaled difference tests, lavTestScore on the scalar model (plain ML and weighted MLR), and a
# partial-invariance path freeing the largest score test one at a time.
# The weight is made up and deterministic: w = 0.5 + ((7 * id) %% 11) / 4 (0.5 to 3).
# Regenerate: Rscript tests/reference/lavaan_robust.R -> lavaan_robust.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
env <- new.env()
assign("dd", script_dir(), envir = env)
setup <- 'HS <- read.csv(file.path(dd, "data", "HolzingerSwineford1939.csv"))
HS$w <- 0.5 + ((7 * HS$id) %% 11) / 4
m3 <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"'
run(setup, env)
out <- list(meta = meta(c("lavaan")), setup = setup,
  notes = I(c(
    "lavaan 0.6.14 estimator='MLR' defaults: information='observed' (observed.information='hessian'), h1.information='structured', test='yuan.bentler.mplus', se='robust.huber.white', sampling.weights.normalization='total' (weights rescaled to sum to the total N; a group's N is its sum of rescaled weights).",
    "lavTestLRT(..., method='satorra.bentler.2001') scales the difference of the ML chi-squares by (df1*c1 - df0*c0)/(df1 - df0).",
    "lavTestScore uses information='expected' (its default); lhs/rhs of each constraint are mapped to group/lhs/op/rhs through parTable labels (plabel).")),
  cases = list())

out$cases$single_unweighted <- fit_case('fit.u <- cfa(m3, data=HS, estimator="MLR")')
out$cases$single_weighted <- fit_case('fit.w <- cfa(m3, data=HS, estimator="MLR", sampling.weights="w")')
out$cases$configural <- fit_case('fit.config <- cfa(m3, data=HS, group="school", estimator="MLR", sampling.weights="w")')
out$cases$metric <- fit_case('fit.metric <- cfa(m3, data=HS, group="school", estimator="MLR", sampling.weights="w", group.equal="loadings")')
out$cases$scalar <- fit_case('fit.scalar <- cfa(m3, data=HS, group="school", estimator="MLR", sampling.weights="w", group.equal=c("loadings","intercepts"))')

out$cases$sb2001_config_metric <- lrt_case('lavTestLRT(fit.config, fit.metric, method="satorra.bentler.2001")')
out$cases$sb2001_metric_scalar <- lrt_case('lavTestLRT(fit.metric, fit.scalar, method="satorra.bentler.2001")')

run('fit.scalar.ml <- cfa(m3, data=HS, group="school", group.equal=c("loadings","intercepts"))', env)
out$cases$score_ml <- score_case("fit.scalar.ml", 'lavTestScore(fit.scalar.ml)')
out$cases$score_mlr <- score_case("fit.scalar", 'lavTestScore(fit.scalar)')

# partial invariance path: free the constraint with the largest univariate score test, refit,
# three times (two groups: freeing a constraint is group.partial for that parameter)
path_code <- 'partial <- character(0); path <- list()
for (step in 1:3) {
  fit.p <- cfa(m3, data=HS, group="school", estimator="MLR", sampling.weights="w",
               group.equal=c("loadings","intercepts"), group.partial=partial)
  st <- suppressWarnings(lavTestScore(fit.p))
  pt <- parTable(fit.p)
  k <- which.max(st$uni$X2)
  i <- match(st$uni$lhs[k], pt$plabel)
  freed <- if (pt$op[i] == "~1") paste(pt$lhs[i], "~1") else paste(pt$lhs[i], pt$op[i], pt$rhs[i])
  fm <- fitMeasures(fit.p, c("chisq", "df", "chisq.scaled", "chisq.scaling.factor", "cfi.robust", "rmsea.robust"))
  path[[step]] <- list(free_before = I(partial), max_X2 = st$uni$X2[k], freed = freed,
                       fit = setNames(as.list(as.numeric(fm)), names(fm)))
  partial <- c(partial, freed)
}
path'
out$cases$partial_path <- list(call = path_code, steps = run(path_code, env))
write_json_file(out, "lavaan_robust.json")
