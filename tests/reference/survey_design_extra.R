# Pins lonely-PSU options, per-group raking (margins crossed with stype, i.e. raking "by" stype),
# and domain means (svyby) on raked and post-stratified designs.
# Regenerate: Rscript tests/reference/survey_design_extra.R -> survey_design_extra.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
env <- new.env()
setup <- 'data(api)
lon <- rbind(apistrat[apistrat$stype != "H", ], apistrat[apistrat$stype == "H", ][1, ])
dlon <- svydesign(id=~1, strata=~stype, weights=~pw, data=lon)
dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
pop.types <- data.frame(stype=c("E","H","M"), Freq=c(4421,755,1018))
pop.schwide <- data.frame(sch.wide=c("No","Yes"), Freq=c(1072,5122))
pop.st.sw <- as.data.frame(table(stype=apipop$stype, sch.wide=apipop$sch.wide))
pop.st.ci <- as.data.frame(table(stype=apipop$stype, comp.imp=apipop$comp.imp))'
run(setup, env)
out <- list(meta = meta("survey"), setup = setup, cases = list())
ms <- function(r) list(estimate = setNames(as.numeric(coef(r)), names(coef(r))),
                       se = setNames(as.numeric(SE(r)), names(coef(r))))
for (opt in c("certainty", "remove", "adjust", "average")) {
  options(survey.lonely.psu = opt)
  code <- sprintf('options(survey.lonely.psu="%s"); svymean(~api00+enroll, dlon)', opt)
  m <- ms(svymean(~api00 + enroll, env$dlon))
  t <- ms(svytotal(~api00, env$dlon))
  out$cases[[paste0("lonely_", opt)]] <- list(call = code, svymean = m, svytotal_api00 = t,
    snum = I(env$lon$snum))
}
options(survey.lonely.psu = "fail")
out$cases$lonely_fail <- list(call = 'options(survey.lonely.psu="fail"); svymean(~api00, dlon)',
  error = tryCatch({svymean(~api00, env$dlon); "no error"}, error = function(e) conditionMessage(e)))

code <- 'dstratr <- rake(dstrat, list(~stype+sch.wide, ~stype+comp.imp), list(pop.st.sw, pop.st.ci), control=list(epsilon=1e-12, maxit=500))'
run(code, env)
out$cases$rake_by_stype <- list(call = code, population_sch.wide = env$pop.st.sw,
  population_comp.imp = env$pop.st.ci,
  weights = I(as.numeric(weights(env$dstratr))),
  svymean = ms(svymean(~api00 + enroll, env$dstratr)),
  svyby_api00_stype = ms(svyby(~api00, ~stype, env$dstratr, svymean)),
  svyby_api00_awards = ms(svyby(~api00, ~awards, env$dstratr, svymean)))

code <- 'dclus1r <- rake(dclus1, list(~stype,~sch.wide), list(pop.types, pop.schwide), control=list(epsilon=1e-12, maxit=500))'
run(code, env)
out$cases$rake_dclus1_svyby <- list(call = paste(code, "svyby(~api00, ~stype, dclus1r, svymean); svyby(~api00, ~awards, dclus1r, svymean)", sep = "\n"),
  svyby_api00_stype = ms(svyby(~api00, ~stype, env$dclus1r, svymean)),
  svyby_api00_awards = ms(svyby(~api00, ~awards, env$dclus1r, svymean)))

code <- 'dclus1p <- postStratify(dclus1, ~stype, pop.types)'
run(code, env)
out$cases$poststratify_dclus1_svyby <- list(call = paste(code, "svyby(~api00, ~awards, dclus1p, svymean)", sep = "\n"),
  svyby_api00_awards = ms(svyby(~api00, ~awards, env$dclus1p, svymean)))
write_json_file(out, "survey_design_extra.json")
