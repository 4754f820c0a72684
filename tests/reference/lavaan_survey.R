# Pins complex-design CFA: (1) lavaan's cluster-robust MLR (cluster= with a single-level model,
# sampling.weights); (2) lavaan.survey (1.1.3.1, installed from its CRAN source
# github.com/cran/lavaan.survey; not in Debian) with PSUs and strata: the design-based
# covariance of the sample moments (survey's svymean / svyvar, linearisation) and the
# Satorra-Bentler scaled statistic of lavaan estimator="MLM" with that NACOV; and the same with
# JKn replicate weights (as.svrepdesign(type="JKn"): svyvar/svymean over the replicates).
# Data: HolzingerSwineford1939 with the made-up weight of lavaan_robust.R, strata = school and
# PSUs = 15 pseudo-clusters per school (id mod 15).
# Regenerate: R_LIBS=<lib with lavaan.survey> Rscript tests/reference/lavaan_survey.R -> lavaan_survey.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
suppressPackageStartupMessages(library(lavaan.survey))
env <- globalenv()  # lavaan.survey re-evaluates the lavaan call where the model string lives
assign("dd", script_dir(), envir = env)
setup <- 'HS <- read.csv(file.path(dd, "data", "HolzingerSwineford1939.csv"))
HS$w <- 0.5 + ((7 * HS$id) %% 11) / 4
HS$psu <- paste(HS$school, HS$id %% 15)
des <- svydesign(ids=~psu, strata=~school, weights=~w, data=HS, nest=TRUE)
m3 <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"'
run(setup, env)
fm_names <- c("chisq", "df", "chisq.scaled", "chisq.scaling.factor", "cfi.robust", "rmsea.robust", "npar")
out <- list(meta = meta(c("lavaan", "survey", "lavaan.survey")), setup = setup,
  notes = I(c("lavaan.survey: Gamma_g = N_g * blockdiag(V(svymean), D+ V(svyvar) D+') (no mean-covariance block), svyvar's n/(n-1) included; then lavaan(sample.cov=svyvar, sample.mean=svymean, sample.nobs=N_g, NACOV=Gamma, estimator='MLM').",
              "Multi-group lavaan.survey subsets the design per group (school = stratum here).")),
  cases = list())
pe_list <- function(fit) {
  pe <- parameterEstimates(fit)
  list(lhs = I(pe$lhs), op = I(pe$op), rhs = I(pe$rhs),
       group = I(if (is.null(pe$group)) rep(1, nrow(pe)) else pe$group), est = I(pe$est), se = I(pe$se))
}
fit_case <- function(code) {
  fit <- suppressWarnings(run(code, env))
  fm <- fitMeasures(fit, fm_names)
  list(call = code, fitMeasures = setNames(as.list(as.numeric(fm)), names(fm)), parameters = pe_list(fit),
       group_labels = I(lavInspect(fit, "group.label")))
}
out$cases$cluster_mlr <- fit_case('cfa(m3, data=HS, estimator="MLR", sampling.weights="w", cluster="psu")')
out$cases$survey_single <- fit_case('lavaan.survey(cfa(m3, data=HS), des)')
out$cases$survey_groups <- fit_case('lavaan.survey(cfa(m3, data=HS, group="school"), des)')
out$cases$survey_jkn <- fit_case('rdes <- as.svrepdesign(des, type="JKn"); lavaan.survey(cfa(m3, data=HS), rdes)')
gcode <- 'v3 <- svyvar(~x1 + x2 + x3, des); m <- svymean(~x1 + x2 + x3, des); list(cov = unname(as.matrix(v3)), var_cov = unname(attr(v3, "var")), mean = unname(coef(m)), var_mean = unname(vcov(m)))'
g <- run(gcode, env)
out$cases$svyvar_x123 <- c(list(call = gcode), g)
write_json_file(out, "lavaan_survey.json")
