# Pins for the notebook front door (issue 16): t intervals (confint with df=degf), level=,
# svymean/svytotal of a factor (category proportions / counts), svyciprop of a category,
# deff against SRS with replacement on designs without fpc or with weights summing to n.
# Regenerate: Rscript tests/reference/survey_notebook.R -> survey_notebook.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
env <- new.env()
setup <- 'data(api)
dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
dnofpc <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat)
apistrat$wn <- apistrat$pw * nrow(apistrat) / sum(apistrat$pw)
dn <- svydesign(id=~1, strata=~stype, weights=~wn, data=apistrat)
dclus1nf <- svydesign(id=~dnum, weights=~pw, data=apiclus1)
popn <- data.frame(stype=c("E","H","M"), Freq=183 * c(4421, 755, 1018) / 6194)
draked <- rake(dclus1nf, list(~stype), list(popn), control=list(maxit=100, epsilon=1e-12))'
run(setup, env)
out <- list(meta = meta("survey"), setup = setup, cases = list())
add <- function(name, code, f) {
  res <- run(code, env)
  out$cases[[name]] <<- c(list(call = code), f(res))
}
ci <- function(r) list(ci_low = setNames(as.numeric(r[, 1]), rownames(r)),
                       ci_high = setNames(as.numeric(r[, 2]), rownames(r)))
add("confint_mean_api00_dclus1_degf", "confint(svymean(~api00, dclus1), df=degf(dclus1))", ci)
add("confint_mean_api00_dstrat_90_degf", "confint(svymean(~api00, dstrat), level=0.9, df=degf(dstrat))", ci)
add("confint_total_enroll_dclus1", "confint(svytotal(~enroll, dclus1))", ci)
add("confint_ratio_dclus1_degf", "confint(svyratio(~api00, ~api99, dclus1), df=degf(dclus1))", ci)
add("confint_svyby_dclus1_degf", "confint(svyby(~api00, ~stype, dclus1, svymean), df=degf(dclus1))", ci)
add("svymean_stype_dclus1", "svymean(~stype, dclus1, deff=TRUE)", est_se)
add("svytotal_stype_dclus1", "svytotal(~stype, dclus1)", est_se)
add("svyby_stype_by_awards_dclus1", "svyby(~stype, ~awards, dclus1, svymean)",
    function(r) list(estimate = setNames(as.numeric(coef(r)), names(coef(r))),
                     se = setNames(as.numeric(as.matrix(SE(r))), names(coef(r)))))
add("svyciprop_stypeE_dclus1", 'svyciprop(~I(stype=="E"), dclus1, method="logit", level=0.9)',
    function(r) list(estimate = as.numeric(r), ci = I(as.numeric(attr(r, "ci"))),
                     se = as.numeric(SE(r)), df = degf(env$dclus1)))
for (d in c("dnofpc", "dn", "draked")) {
  for (fn in c("svymean", "svytotal")) {
    add(sprintf("%s_api00_%s_replace", fn, d), sprintf('%s(~api00, %s, deff="replace")', fn, d), est_se)
    add(sprintf("%s_api00_%s_noreplace", fn, d), sprintf('%s(~api00, %s, deff=TRUE)', fn, d), est_se)
  }
  out$cases[[paste0(d, "_weights_sum")]] <- list(call = sprintf("sum(weights(%s))", d), value = sum(weights(env[[d]])))
}
add("confint_svycontrast_EminusH_dclus1_degf", 'byst <- svyby(~api00, ~stype, dclus1, svymean, covmat=TRUE)
confint(svycontrast(byst, quote(E - H)), level=0.9, df=degf(dclus1))', ci)
add("p_adjust_holm", 'p.adjust(c(0.01, 0.04, 0.03), "holm")', function(r) list(value = I(r)))
add("p_adjust_BH", 'p.adjust(c(0.01, 0.04, 0.03), "BH")', function(r) list(value = I(r)))
write_json_file(out, "survey_notebook.json")
