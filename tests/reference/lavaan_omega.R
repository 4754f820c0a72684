# Pins lavaan CFA (ML) on HolzingerSwineford1939, semTools::compRelSEM omega,
# and psych::omega (optional extra).
# Regenerate: Rscript tests/reference/lavaan_omega.R -> lavaan_omega.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
env <- new.env()
setup <- 'data(HolzingerSwineford1939, package="lavaan")
HS <- HolzingerSwineford1939
m1 <- "visual =~ x1 + x2 + x3"
m3 <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"'
run(setup, env)
fm_names <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
              "rmsea.ci.upper", "rmsea.pvalue", "srmr", "logl", "unrestricted.logl",
              "npar", "aic", "bic", "ntotal")
out <- list(meta = meta(c("lavaan", "semTools", "psych", "GPArotation")), setup = setup,
  notes = I(c(
    "lavaan 0.6.14 defaults for cfa(): estimator='ML', likelihood='normal' (sample covariance divided by N, not N-1), meanstructure=FALSE for single group, first loading fixed to 1 unless std.lv=TRUE (then factor variances fixed to 1), factor covariances free, information='expected', se='standard'.",
    "chisq = 2*N*F_ML (N = total sample size) for likelihood='normal'.",
    "semTools 0.5.6 compRelSEM defaults: obs.var=TRUE (denominator = variance of the sum of indicators from the SAMPLE covariance matrix as lavaan stores it, i.e. divided by N), tau.eq=FALSE; omega = (sum lambda)^2 * psi / denominator. With obs.var=FALSE the denominator is the model-implied variance of the sum.",
    "The one-factor 3-indicator model is just-identified (df=0): chisq, srmr, cfi are optimizer noise around 0/1; compare with an absolute tolerance (e.g. 1e-6). Parameter estimates match to roughly 1e-6 relative between parameterisations for the same reason (optimizer tolerance).")),
  cases = list())

pe_list <- function(fit) {
  pe <- parameterEstimates(fit)
  ss <- standardizedSolution(fit)
  keep <- intersect(c("lhs", "op", "rhs", "group", "est", "se", "z", "pvalue"), names(pe))
  res <- lapply(pe[keep], function(v) I(if (is.numeric(v)) as.numeric(v) else as.character(v)))
  res$std.all <- I(as.numeric(ss$est.std))
  res
}
fit_case <- function(code, extra = NULL) {
  fit <- run(code, env)
  fm <- fitMeasures(fit, fm_names)
  res <- list(call = code, converged = lavInspect(fit, "converged"),
       fitMeasures = setNames(as.list(as.numeric(fm)), names(fm)),
       parameters = pe_list(fit),
       sample_cov = lavInspect(fit, "sampstat")$cov,
       implied_cov = lavInspect(fit, "implied")$cov)
  c(res, extra)
}
one_std <- fit_case('fit1s <- cfa(m1, data=HS, std.lv=TRUE)')
one_def <- fit_case('fit1 <- cfa(m1, data=HS)')
cr <- function(fit, ...) { v <- compRelSEM(fit, ...); setNames(as.numeric(v), names(v)) }
one_std$compRelSEM <- list(call = "compRelSEM(fit1s)", omega = cr(env$fit1s),
  obs.var_FALSE = list(call = "compRelSEM(fit1s, obs.var=FALSE)", omega = cr(env$fit1s, obs.var = FALSE)),
  tau.eq_TRUE = list(call = "compRelSEM(fit1s, tau.eq=TRUE)", omega = cr(env$fit1s, tau.eq = TRUE)))
one_def$compRelSEM <- list(call = "compRelSEM(fit1)", omega = cr(env$fit1))
out$cases$onefactor_visual_stdlv <- one_std
out$cases$onefactor_visual_default <- one_def

three <- fit_case('fit3 <- cfa(m3, data=HS)')
three$compRelSEM <- list(call = "compRelSEM(fit3)", omega = cr(env$fit3),
  obs.var_FALSE = list(call = "compRelSEM(fit3, obs.var=FALSE)", omega = cr(env$fit3, obs.var = FALSE)))
out$cases$threefactor_singlegroup <- three

# psych::omega (optional): Schmid-Leiman omega on the nine indicators
om_code <- 'om <- psych::omega(HS[, paste0("x", 1:9)], nfactors=3, plot=FALSE)'
run(om_code, env)
om <- env$om
out$cases$psych_omega_x1_x9 <- list(call = om_code,
  note = "psych::omega defaults: fm='minres', rotate='oblimin' (GPArotation), Schmid-Leiman, cor from Pearson with pairwise deletion. Only summary coefficients pinned (rotation makes loadings implementation-specific).",
  omega_h = as.numeric(om$omega_h), omega.tot = as.numeric(om$omega.tot),
  alpha = as.numeric(om$alpha), G6 = as.numeric(om$G6),
  omega.group = lapply(om$omega.group, function(v) setNames(as.numeric(v), rownames(om$omega.group))))

write_json_file(out, "lavaan_omega.json")
