# Pins survey::calibrate with calfun = "linear" | "raking" | "logit" and active bounds, on
# Taylor (dclus1, dstrat) and replicate (JK1, bootstrap) designs; the by-group case is the full
# interaction model ~0 + stype + stype:(...), which calibrates each stype separately.
# Regenerate: Rscript tests/reference/survey_calibrate.R  -> survey_calibrate.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
data(api)
env <- new.env()
out <- list(meta = meta(c("survey")), cases = list())

setup <- 'data(api)
dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
pop1 <- c(`(Intercept)`=6194, stypeH=755, stypeM=1018, api99=sum(apipop$api99))
pops <- colSums(model.matrix(~sch.wide+awards+api99, apipop))
popi <- colSums(model.matrix(~0+stype+stype:api99+stype:sch.wide, apipop))
set.seed(20261201)
dclus1jk <- as.svrepdesign(dclus1, type="JK1")
dclus1bs <- as.svrepdesign(dclus1, type="bootstrap", replicates=50)'
run(setup, env)
out$setup <- setup
out$population <- list(pop1 = as.list(env$pop1), pops = as.list(env$pops), popi = as.list(env$popi))

# Combined replicate weights (as.svrepdesign stores factors; weights(d, "replication") gives them).
repw <- function(d) {
  r <- as.matrix(d$repweights)
  if (!d$combined.weights) r <- r * d$pweights
  r
}

stats <- function(d) {
  m <- svymean(~api00, d); t <- svytotal(~enroll, d)
  list(svymean_api00 = list(estimate = as.numeric(coef(m)), se = as.numeric(SE(m))),
       svytotal_enroll = list(estimate = as.numeric(coef(t)), se = as.numeric(SE(t))))
}

# Which replicates R's calibrate leaves short of the totals (it only warns): grake per replicate,
# its achieved max |misfit| / (1 + |total|) when it failed, 0 when it converged.
gaps_code <- 'mm <- model.matrix(~stype+api99, apiclus1)
rw <- repw(%s)
sapply(seq_len(ncol(rw)), function(i) {
  g <- suppressWarnings(survey:::grake(mm, rw[, i], %s, bounds=list(lower=%s, upper=%s),
         population=pop1, epsilon=1e-7, verbose=FALSE, maxit=50))
  if (is.null(attr(g, "failed"))) 0 else attr(g, "failed")})'

case <- function(code, name, before = NULL) {
  warns <- character()
  withCallingHandlers(run(code, env), warning = function(w) {
    warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning")})
  d <- get(name, env)
  res <- c(list(call = code, weights = I(as.numeric(weights(d, "sampling"))),
                snum = I(d$variables$snum)), stats(d))
  if (inherits(d, "svyrep.design")) {
    res$scale <- d$scale
    res$replicate_weights <- I(as.numeric(repw(d)))
    res$replicate_weights_before <- I(as.numeric(repw(get(before, env))))
    res$n_replicates <- ncol(d$repweights)
    res$replicate_gaps_call <- sprintf(gaps_code, before, sub("^.*calfun=\"(\\w+)\".*$", "cal.\\1", code),
                                       sub("^.*bounds=c\\(([^,]+), ([^)]+)\\).*$", "\\1", code),
                                       sub("^.*bounds=c\\(([^,]+), ([^)]+)\\).*$", "\\2", code))
    res$replicate_gaps <- I(run(res$replicate_gaps_call, env))
  }
  res$warnings <- I(warns)
  res
}

out$cases$linear_bounds_dclus1 <- case(
  'c1 <- calibrate(dclus1, ~stype+api99, pop1, calfun="linear", bounds=c(0.5, 1.7))', "c1")
out$cases$raking_bounds_dclus1 <- case(
  'c2 <- calibrate(dclus1, ~stype+api99, pop1, calfun="raking", bounds=c(0.5, 1.7))', "c2")
out$cases$logit_bounds_dclus1 <- case(
  'c3 <- calibrate(dclus1, ~stype+api99, pop1, calfun="logit", bounds=c(0.4, 1.9))', "c3")
out$cases$raking_bounds_dstrat <- case(
  's1 <- calibrate(dstrat, ~sch.wide+awards+api99, pops, calfun="raking", bounds=c(0.8, 1.08))', "s1")
out$cases$logit_bounds_dstrat <- case(
  's2 <- calibrate(dstrat, ~sch.wide+awards+api99, pops, calfun="logit", bounds=c(0.75, 1.15))', "s2")
out$cases$raking_bounds_dstrat_by_stype <- case(
  's3 <- calibrate(dstrat, ~0+stype+stype:api99+stype:sch.wide, popi, calfun="raking", bounds=c(0.7, 1.3))', "s3")
out$cases$linear_bounds_jk1 <- case(
  'r0 <- calibrate(dclus1jk, ~stype+api99, pop1, calfun="linear", bounds=c(0.5, 1.7))', "r0",
  before = "dclus1jk")
out$cases$raking_bounds_jk1 <- case(
  'r1 <- calibrate(dclus1jk, ~stype+api99, pop1, calfun="raking", bounds=c(0.4, 1.9))', "r1",
  before = "dclus1jk")
out$cases$logit_bounds_bootstrap <- case(
  'r2 <- calibrate(dclus1bs, ~stype+api99, pop1, calfun="logit", bounds=c(0.3, 2.5))', "r2",
  before = "dclus1bs")
out$cases$linear_bounds_bootstrap <- case(
  'r3 <- calibrate(dclus1bs, ~stype+api99, pop1, calfun="linear", bounds=c(0.3, 2.5))', "r3",
  before = "dclus1bs")
out$cases$linear_tight_bootstrap <- case(
  'r4 <- calibrate(dclus1bs, ~stype+api99, pop1, calfun="linear", bounds=c(0.4, 1.9))', "r4",
  before = "dclus1bs")

# Bounds too tight: R stops with "Calibration failed" after warning the achieved epsilon.
tight <- 'calibrate(dclus1, ~stype+api99, pop1, calfun="raking", bounds=c(0.9, 1.1))'
warns <- character()
err <- tryCatch(withCallingHandlers(run(tight, env), warning = function(w) {
  warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning")}),
  error = function(e) conditionMessage(e))
out$cases$raking_too_tight <- list(call = tight, error = err, warnings = I(warns))

write_json_file(out, "survey_calibrate.json")
