# A two-wave panel from a real public file (tests/test_tracker_api.py): the California Academic
# Performance Index of the same 200 schools in 1999 (api99) and 2000 (api00), apistrat from R
# survey's data(api) (exported as data/apistrat.csv by export_data.R). Change 2000 - 1999 and its
# SE with the panel component (the same schools in both waves).
# A: strata = stype (E/M/H), no fpc; per stratum (surveyindex: stype as the "country", JKn
#    replicates): svyby of the paired difference, linearised and JKn.
# B: one domain, weights pw (unequal across schools), no strata: the tracker's SE is
#    sqrt(Va + Vb - 2 rho sqrt(Va Vb)) with Va, Vb the JK1 replicate variances and rho the
#    linearised correlation of the two means; R gives each piece. Also printed for comparison:
#    the JK1 replicate SE of the difference and its linearised SE.
# Run from the repo root: Rscript tests/reference/tracker_api_panel.R
suppressPackageStartupMessages(library(survey))
data(api)
options(digits = 17)
dstrat <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, data = apistrat)
print(svyby(~I(api00 - api99), ~stype, dstrat, svymean))
print(svyby(~I(api00 - api99), ~stype, as.svrepdesign(dstrat, type = "JKn"), svymean))
d1 <- svydesign(ids = ~1, weights = ~pw, data = apistrat)
v <- vcov(svymean(~api99 + api00, d1))
rho <- v[1, 2] / sqrt(v[1, 1] * v[2, 2])
s <- svymean(~api99 + api00, as.svrepdesign(d1, type = "JK1"))
vr <- vcov(s)
print(c(change = unname(coef(s)[2] - coef(s)[1]), rho = rho,
        se_panel = sqrt(vr[1, 1] + vr[2, 2] - 2 * rho * sqrt(vr[1, 1] * vr[2, 2])),
        se_independent = sqrt(vr[1, 1] + vr[2, 2]),
        se_jk1_difference = unname(SE(svycontrast(s, c(-1, 1)))),
        se_linearised_difference = unname(SE(svymean(~I(api00 - api99), d1)))))
cat(R.version.string, "; survey", as.character(packageVersion("survey")), "\n")
