# Reference for tests/test_estimate_taylor_domains.py: Taylor SEs of domains on a design raked
# within groups (R 4.2.2, survey 4.1.1). Run: Rscript tests/reference/survey_rake_domains.R
library(survey); data(api)
options(digits=17)
dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
# population counts per stype x sch.wide and stype x awards (made up, near the sample's weighted totals)
p1 <- data.frame(stype=rep(c("E","H","M"), each=2), sch.wide=rep(c("No","Yes"), 3),
                 Freq=c(700, 3800, 250, 500, 300, 700))
p2 <- data.frame(stype=rep(c("E","H","M"), each=2), awards=rep(c("No","Yes"), 3),
                 Freq=c(1500, 3000, 450, 300, 450, 550))
r <- rake(dstrat, list(~stype+sch.wide, ~stype+awards), list(p1, p2), control=list(maxit=500, epsilon=1e-12))
b <- svyby(~api00+api99, ~stype, r, svymean)
print(coef(b)); print(SE(b))
b2 <- svyby(~api00, ~stype+comp.imp, r, svymean)
print(coef(b2)); print(SE(b2))
print(packageVersion("survey")); print(R.version.string)
