# Pins multi-group measurement invariance (configural / metric / scalar) of the
# Holzinger-Swineford three-factor model by school, with lavTestLRT.
# Regenerate: Rscript tests/reference/lavaan_invariance.R -> lavaan_invariance.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
env <- new.env()
setup <- 'data(HolzingerSwineford1939, package="lavaan")
HS <- HolzingerSwineford1939
m3 <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"'
run(setup, env)
fm_names <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
              "rmsea.ci.upper", "rmsea.pvalue", "srmr", "logl", "unrestricted.logl",
              "npar", "aic", "bic", "ntotal", "baseline.chisq", "baseline.df")
out <- list(meta = meta(c("lavaan")), setup = setup,
  notes = I(c(
    "lavaan 0.6.14, estimator='ML', likelihood='normal'. Multi-group: meanstructure=TRUE; group order = order of first appearance in data (Pasteur, Grant-White); chisq = sum_g 2*N_g*F_g; per-group chisq in chisq_by_group.",
    "metric: group.equal='loadings'; scalar: group.equal=c('loadings','intercepts') -> latent means fixed to 0 in group 1 and free in group 2.",
    "srmr (multi-group) = sum_g N_g * srmr_g / N, where srmr_g is lavResiduals(fit, type='cor.bentler')[[g]]$summary['srmr','total'] (covariance AND mean residuals); per-group values in srmr_by_group (verified to reproduce fitMeasures srmr).",
    "lavTestLRT with plain ML: Chisq diff = difference of the chisq values, Df diff = difference of df, Pr(>Chisq) = pchisq(diff, df diff, lower.tail=FALSE).")),
  cases = list())

fit_case <- function(code) {
  fit <- run(code, env)
  fm <- fitMeasures(fit, fm_names)
  pe <- parameterEstimates(fit)
  res <- list(call = code, converged = lavInspect(fit, "converged"),
       group_labels = I(lavInspect(fit, "group.label")),
       nobs = I(as.numeric(lavInspect(fit, "nobs"))),
       fitMeasures = setNames(as.list(as.numeric(fm)), names(fm)),
       parameters = list(lhs = I(pe$lhs), op = I(pe$op), rhs = I(pe$rhs),
                         group = I(if (is.null(pe$group)) rep(1, nrow(pe)) else pe$group),
                         est = I(pe$est), se = I(pe$se)))
  ts <- lavInspect(fit, "test")$standard
  if (!is.null(ts$stat.group)) res$chisq_by_group <- I(as.numeric(ts$stat.group))
  if (lavInspect(fit, "ngroups") > 1) {
    rr <- lavResiduals(fit, type = "cor.bentler")
    res$srmr_by_group <- I(as.numeric(sapply(rr, function(g) g$summary["srmr", "total"])))
  }
  res
}
out$cases$single_group <- fit_case('fit.all <- cfa(m3, data=HS)')
out$cases$configural <- fit_case('fit.config <- cfa(m3, data=HS, group="school")')
out$cases$metric <- fit_case('fit.metric <- cfa(m3, data=HS, group="school", group.equal="loadings")')
out$cases$scalar <- fit_case('fit.scalar <- cfa(m3, data=HS, group="school", group.equal=c("loadings","intercepts"))')

lrt_code <- 'lavTestLRT(fit.config, fit.metric, fit.scalar)'
lrt <- run(lrt_code, env)
out$cases$lrt_config_metric_scalar <- list(call = lrt_code,
  models = I(rownames(lrt)),
  Df = I(as.numeric(lrt$Df)), AIC = I(as.numeric(lrt$AIC)), BIC = I(as.numeric(lrt$BIC)),
  Chisq = I(as.numeric(lrt$Chisq)), Chisq_diff = I(as.numeric(lrt[["Chisq diff"]])),
  Df_diff = I(as.numeric(lrt[["Df diff"]])), p_value = I(as.numeric(lrt[["Pr(>Chisq)"]])),
  note = "Rows in order configural, metric, scalar (sorted by df). Chisq_diff/Df_diff/p_value first element is null (NA).")
lrt2_code <- 'lavTestLRT(fit.config, fit.scalar)'
lrt2 <- run(lrt2_code, env)
out$cases$lrt_config_scalar <- list(call = lrt2_code,
  Chisq_diff = as.numeric(lrt2[["Chisq diff"]][2]), Df_diff = as.numeric(lrt2[["Df diff"]][2]),
  p_value = as.numeric(lrt2[["Pr(>Chisq)"]][2]))

write_json_file(out, "lavaan_invariance.json")
