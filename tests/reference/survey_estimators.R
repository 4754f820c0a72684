# Pins survey design-based estimators (svymean, svytotal, deff, svyby,
# svyratio, svyciprop, svyquantile, svycontrast, postStratify, trimWeights,
# linear calibration) on the api data.
# Regenerate: Rscript tests/reference/survey_estimators.R -> survey_estimators.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
env <- new.env()
setup <- 'data(api)
dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
dclus2 <- svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)
dsrs <- svydesign(id=~1, fpc=~fpc, data=apisrs)'
run(setup, env)
out <- list(meta = meta("survey"), setup = setup,
  defaults = list(
    survey.lonely.psu = getOption("survey.lonely.psu"),
    survey.ultimate.cluster = getOption("survey.ultimate.cluster"),
    notes = I(c(
      "dclus2 has no weights= argument: weights come from fpc1/fpc2 (pw not used). dsrs likewise: weights = fpc/n = 6194/200.",
      "deff=TRUE: design variance / variance under SRS without replacement (uses (1 - n/N) where N = sum of weights); deff='replace': SRS with replacement.",
      "svyquantile (survey >= 4.0) defaults: qrule='math' (inverse of weighted ECDF, lower value), interval.type='mean' (Woodruff: CI for the CDF via mean of I(x<=q) with t(df=degf(design)) critical value, then inverted), alpha=0.05, ci=TRUE, se=ci (se = CI width/(2*qt(0.975, df))).",
      "svyciprop method='logit': fits svyglm(quasibinomial) intercept-only, CI = expit(logit(p) +- qt(0.975, df=degf(design)) * SE(logit p)); level=0.95."))),
  cases = list())


add <- function(name, code, f) {
  res <- run(code, env)
  out$cases[[name]] <<- c(list(call = code), f(res))
}
meanse <- function(r) list(estimate = setNames(as.numeric(coef(r)), names(coef(r))), se = setNames(as.numeric(SE(r)), names(coef(r))))
meanse_deff <- function(r) c(meanse(r), list(deff = setNames(as.numeric(deff(r)), names(coef(r)))))

designs <- c(dstrat = "dstrat", dclus1 = "dclus1", dclus2 = "dclus2", dsrs = "dsrs")
for (d in designs) {
  out$cases[[paste0(d, "_degf")]] <- list(call = sprintf("degf(%s)", d), value = degf(env[[d]]))
  for (v in c("api00", "enroll")) {
    narm <- if (d == "dclus2" && v == "enroll") ", na.rm=TRUE" else ""
    for (fn in c("svymean", "svytotal")) {
      add(sprintf("%s_%s_%s", fn, v, d), sprintf("%s(~%s, %s, deff=TRUE%s)", fn, v, d, narm), meanse_deff)
      add(sprintf("%s_%s_%s_deffreplace", fn, v, d), sprintf("%s(~%s, %s, deff=\"replace\"%s)", fn, v, d, narm), meanse_deff)
    }
  }
}

for (d in c("dclus1", "dstrat")) {
  add(paste0("svyby_api00_stype_", d), sprintf("svyby(~api00, ~stype, %s, svymean)", d),
      function(r) list(estimate = setNames(coef(r), names(coef(r))), se = setNames(SE(r), names(coef(r)))))
}

add("svyratio_api00_api99_dclus1", "svyratio(~api00, ~api99, dclus1)",
    function(r) list(ratio = as.numeric(coef(r)), se = as.numeric(SE(r)), var = as.numeric(vcov(r))))

add("svyciprop_schwide_dclus1_logit", 'svyciprop(~I(sch.wide=="Yes"), dclus1, method="logit")',
    function(r) list(estimate = as.numeric(r), ci = I(as.numeric(attr(r, "ci"))),
                     se = as.numeric(SE(r)), df = degf(env$dclus1), level = 0.95))

add("svyquantile_api00_dclus1", "svyquantile(~api00, dclus1, c(.25,.5,.75))",
    function(r) { m <- r$api00; list(quantiles = I(c(.25,.5,.75)),
      estimate = I(as.numeric(m[, 1])), ci_lower = I(as.numeric(m[, 2])),
      ci_upper = I(as.numeric(m[, 3])), se = I(as.numeric(m[, 4])),
      defaults = list(qrule = "math", interval.type = "mean", alpha = 0.05, df = degf(env$dclus1))) })
add("svyquantile_api00_dstrat", "svyquantile(~api00, dstrat, c(.25,.5,.75))",
    function(r) { m <- r$api00; list(quantiles = I(c(.25,.5,.75)),
      estimate = I(as.numeric(m[, 1])), ci_lower = I(as.numeric(m[, 2])),
      ci_upper = I(as.numeric(m[, 3])), se = I(as.numeric(m[, 4])),
      defaults = list(qrule = "math", interval.type = "mean", alpha = 0.05, df = degf(env$dstrat))) })

add("svycontrast_EminusH_dclus1", 'byst <- svyby(~api00, ~stype, dclus1, svymean, covmat=TRUE)
svycontrast(byst, quote(E - H))',
    function(r) list(estimate = as.numeric(coef(r)), se = as.numeric(SE(r))))
add("svycontrast_EminusH_dstrat", 'bysts <- svyby(~api00, ~stype, dstrat, svymean, covmat=TRUE)
svycontrast(bysts, c(E=1, H=-1, M=0))',
    function(r) list(estimate = as.numeric(coef(r)), se = as.numeric(SE(r))))
add("svyby_vcov_dclus1", "vcov(svyby(~api00, ~stype, dclus1, svymean, covmat=TRUE))",
    function(r) list(vcov = r))

add("paired_diff_dclus1", "svymean(~I(api00-api99), dclus1)",
    function(r) list(estimate = as.numeric(coef(r)), se = as.numeric(SE(r))))

add("postStratify_stype_dclus1", 'dclus1p <- postStratify(dclus1, ~stype, data.frame(stype=c("E","H","M"), Freq=c(4421,755,1018)))
svymean(~api00, dclus1p)',
    function(r) list(estimate = as.numeric(coef(r)), se = as.numeric(SE(r)),
                     total_enroll = list(estimate = as.numeric(coef(svytotal(~enroll, env$dclus1p))),
                                         se = as.numeric(SE(svytotal(~enroll, env$dclus1p)))),
                     weights = I(as.numeric(weights(env$dclus1p)))))

greg_code <- 'pop.totals <- c(`(Intercept)`=6194, stypeH=755, stypeM=1018, api99=sum(apipop$api99))
dclus1g <- calibrate(dclus1, ~stype+api99, pop.totals)
svymean(~api00, dclus1g)'
add("calibrate_linear_greg_dclus1", greg_code,
    function(r) list(estimate = as.numeric(coef(r)), se = as.numeric(SE(r)),
                     population_totals = as.list(env$pop.totals),
                     total_api00 = list(estimate = as.numeric(coef(svytotal(~api00, env$dclus1g))),
                                        se = as.numeric(SE(svytotal(~api00, env$dclus1g)))),
                     weights = I(as.numeric(weights(env$dclus1g))),
                     weights_summary = summary(weights(env$dclus1g))[1:6],
                     note = "calibrate() defaults: calfun='linear', bounds=c(-Inf,Inf), epsilon=1e-7, maxit=50. This is the ?trimWeights documentation example (api99 total = 3914069)."))

sm <- function(r, w) list(estimate = setNames(as.numeric(coef(r)), names(coef(r))),
                           se = setNames(as.numeric(SE(r)), names(coef(r))),
                           weights = I(as.numeric(w)),
                           weights_summary = setNames(as.numeric(summary(w)), names(summary(w))))
add("trimWeights_docexample", 'dclus1t <- trimWeights(dclus1g, lower=20, upper=45)
svymean(~api99+api00+stype, dclus1t)',
    function(r) c(sm(r, weights(env$dclus1t)),
      list(note = "survey 4.1.1 trimWeights.survey.design2 (strict=FALSE default): pwnew <- pmax(lower, pmin(pw, upper)); the total trimmed, sum(pw - pwnew), is added in EQUAL shares (sum/count, additive, not proportional) to the weights that were inside the bounds; done once, so final weights can exceed the bounds (max 45.74); sum of weights preserved. The calibration info (postStrata of dclus1g) is kept, so SEs still use the GREG residuals of dclus1g's calibration (qr and w from the calibrated, untrimmed design). Input design: dclus1g (calibrate_linear_greg_dclus1).")))
add("trimWeights_docexample_strict", 'dclus1tt <- trimWeights(dclus1g, lower=20, upper=45, strict=TRUE)
svymean(~api99+api00+stype, dclus1tt)',
    function(r) c(sm(r, weights(env$dclus1tt)), list(note = "strict=TRUE: the same step is applied recursively until no weight lies outside [lower, upper].")))
add("greg_docexample_means", 'svymean(~api99+api00+stype, dclus1g)',
    function(r) list(estimate = setNames(as.numeric(coef(r)), names(coef(r))),
                     se = setNames(as.numeric(SE(r)), names(coef(r)))))

write_json_file(out, "survey_estimators.json")
