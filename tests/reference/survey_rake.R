# Pins survey::rake / calibrate(calfun="raking") results on the api data.
# Regenerate: Rscript tests/reference/survey_rake.R  -> survey_rake.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
data(api)
env <- new.env()
out <- list(meta = meta(c("survey")), cases = list())

setup <- 'data(api)
dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
pop.types <- data.frame(stype=c("E","H","M"), Freq=c(4421,755,1018))
pop.schwide <- data.frame(sch.wide=c("No","Yes"), Freq=c(1072,5122))'
run(setup, env)

rake_case <- function(code, design_name, note = NULL) {
  run(code, env)
  d <- get(design_name, env)
  m <- svymean(~api00, d); t <- svytotal(~enroll, d)
  res <- list(setup = setup, call = code, note = note,
       weights = I(as.numeric(weights(d))),
       snum = I(d$variables$snum),
       weights_sum = sum(weights(d)),
       svymean_api00 = list(call = "svymean(~api00, D)", estimate = as.numeric(coef(m)), se = as.numeric(SE(m))),
       svytotal_enroll = list(call = "svytotal(~enroll, D)", estimate = as.numeric(coef(t)), se = as.numeric(SE(t))),
       margins = list(
         stype = as.list(tapply(weights(d), d$variables$stype, sum)),
         sch.wide = as.list(tapply(weights(d), d$variables$sch.wide, sum))))
  res[!vapply(res, is.null, TRUE)]
}

out$cases$rake_default <- rake_case(
  'dclus1r <- rake(dclus1, list(~stype,~sch.wide), list(pop.types, pop.schwide))',
  "dclus1r",
  note = "rake() default control=list(maxit=10, epsilon=1, verbose=FALSE): epsilon=1 is an absolute tolerance on the margin totals, so iteration stops early; weights are NOT fully converged. dclus1r is a linearization design (post-stratified, SE via postStrata residuals).")

out$cases$rake_tight <- rake_case(
  'dclus1r_tight <- rake(dclus1, list(~stype,~sch.wide), list(pop.types, pop.schwide), control=list(epsilon=1e-12, maxit=500))',
  "dclus1r_tight")

out$cases$calibrate_raking <- rake_case(
  'dclus1cal <- calibrate(dclus1, ~stype+sch.wide, c(`(Intercept)`=6194, stypeH=755, stypeM=1018, sch.wideYes=5122), calfun="raking")',
  "dclus1cal",
  note = "calibrate() defaults: epsilon=1e-7 (relative), maxit=50, bounds=c(-Inf,Inf). SE from calibration (GREG-type) linearization: residuals of the weighted regression of the variable on the calibration model matrix.")

# apistrat raked to apipop sch.wide and comp.imp margins, tight tolerance
setup_strat <- 'data(api)
dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
pop.schwide.s <- as.data.frame(table(sch.wide=apipop$sch.wide))
pop.compimp.s <- as.data.frame(table(comp.imp=apipop$comp.imp))'
run(setup_strat, env)
code <- 'dstratr <- rake(dstrat, list(~sch.wide,~comp.imp), list(pop.schwide.s, pop.compimp.s), control=list(epsilon=1e-12, maxit=500))'
run(code, env)
d <- env$dstratr
m <- svymean(~api00, d); t <- svytotal(~enroll, d)
out$cases$rake_apistrat_tight <- list(
  setup = setup_strat, call = code,
  population = list(sch.wide = as.list(setNames(env$pop.schwide.s$Freq, env$pop.schwide.s$sch.wide)),
                    comp.imp = as.list(setNames(env$pop.compimp.s$Freq, env$pop.compimp.s$comp.imp))),
  weights = I(as.numeric(weights(d))),
  snum = I(d$variables$snum),
  weights_sum = sum(weights(d)),
  svymean_api00 = list(call = "svymean(~api00, D)", estimate = as.numeric(coef(m)), se = as.numeric(SE(m))),
  svytotal_enroll = list(call = "svytotal(~enroll, D)", estimate = as.numeric(coef(t)), se = as.numeric(SE(t))),
  margins = list(sch.wide = as.list(tapply(weights(d), d$variables$sch.wide, sum)),
                 comp.imp = as.list(tapply(weights(d), d$variables$comp.imp, sum))))

# Unraked reference values for comparison
m0 <- svymean(~api00, env$dclus1); t0 <- svytotal(~enroll, env$dclus1)
out$cases$unraked_dclus1 <- list(setup = setup,
  svymean_api00 = list(estimate = as.numeric(coef(m0)), se = as.numeric(SE(m0))),
  svytotal_enroll = list(estimate = as.numeric(coef(t0)), se = as.numeric(SE(t0))))

# Documentation example uses the replicate-weight (JK1) design; pin it too.
code <- 'rclus1 <- as.svrepdesign(dclus1)
rclus1r <- rake(rclus1, list(~stype,~sch.wide), list(pop.types, pop.schwide))'
run(code, env)
d <- env$rclus1r
m <- svymean(~api00, d); t <- svytotal(~enroll, d)
out$cases$rake_default_jk1_docexample <- list(setup = setup, call = code,
  note = "as.svrepdesign default type for a cluster design without strata is JK1; replicate weights are each raked (default control).",
  weights = I(as.numeric(weights(d, "sampling"))),
  svymean_api00 = list(estimate = as.numeric(coef(m)), se = as.numeric(SE(m))),
  svytotal_enroll = list(estimate = as.numeric(coef(t)), se = as.numeric(SE(t))))

# Number of full raking sweeps R performs before its stopping rule fires:
# smallest maxit k for which rake() does not warn "did not converge".
count_sweeps <- function(design, margins, pops, eps) {
  for (k in 1:500) {
    warned <- FALSE
    withCallingHandlers(rake(design, margins, pops, control = list(epsilon = eps, maxit = k)),
      warning = function(w) { warned <<- TRUE; invokeRestart("muffleWarning") })
    if (!warned) return(k)
  }
  NA
}
out$cases$rake_default$sweeps <- count_sweeps(env$dclus1, list(~stype,~sch.wide), list(env$pop.types, env$pop.schwide), 1)
out$cases$rake_tight$sweeps <- count_sweeps(env$dclus1, list(~stype,~sch.wide), list(env$pop.types, env$pop.schwide), 1e-12)
out$cases$rake_apistrat_tight$sweeps <- count_sweeps(env$dstrat, list(~sch.wide,~comp.imp), list(env$pop.schwide.s, env$pop.compimp.s), 1e-12)

out$algorithm_notes <- list(
  rake_stopping = "survey 4.1.1 rake(): if control$epsilon < 1 the tolerance is epsilon*sum(initial sampling weights), else epsilon itself (absolute). One sweep = postStratify on each margin in order; after each sweep delta = max |joint svytable(all margin vars) before - after|; stop when delta < tolerance (the sweep that hit it is kept). 'sweeps' = number of sweeps executed.",
  rake_se = "Linearization SE of a raked survey.design2: estimating functions x are backfitted 10 fixed times over the margins: for each margin m (in order) x <- x - w_m * ave(x / w_m, margin group), where w_m are the weights right after margin m was post-stratified in the final sweep; then the usual cluster/strata variance with fpc.",
  calibrate_se = "calibrate(): x replaced by weighted least-squares residuals on the calibration model matrix (qr.resid(qr, x/w)*w)."
)

write_json_file(out, "survey_rake.json")
