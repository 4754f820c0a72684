# Pins (1) semTools::compRelSEM omega on data other than HolzingerSwineford1939: bfi
# Agreeableness (A1 reversed as 7 - A1, listwise complete cases) and the small example of the
# surveyindex.reliability.omega docstring; (2) multi-group invariance (configural / metric /
# scalar) by country on the bundled sample: 13 groups, one dimension x target at a time.
# data/softpower_sample_items.csv holds the recoded items (reverse keying applied, missing codes
# as NA) of the morality and education dimensions, as surveyindex.read_responses returns them
# for sample_data/softpower_sample.csv.
# Regenerate: Rscript tests/reference/lavaan_sample.R -> lavaan_sample.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
env <- new.env()
dd <- script_dir()
assign("dd", dd, envir = env)
setup <- 'bfi <- read.csv(file.path(dd, "data", "bfi.csv"))
agree <- na.omit(data.frame(A1r = 7 - bfi$A1, A2 = bfi$A2, A3 = bfi$A3, A4 = bfi$A4, A5 = bfi$A5))
small <- data.frame(q1 = c(4, 5, 3, 2, 4, 5, 3, 4, 2, 5, 3, 4), q2 = c(4, 4, 3, 2, 5, 5, 2, 4, 1, 4, 3, 3),
                    q3 = c(3, 5, 4, 1, 4, 4, 3, 5, 2, 5, 2, 4), q4 = c(4, 5, 2, 2, 3, 5, 3, 3, 2, 4, 3, 5))
sp <- read.csv(file.path(dd, "data", "softpower_sample_items.csv"))'
run(setup, env)
fm_names <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
              "rmsea.ci.upper", "rmsea.pvalue", "srmr", "logl", "unrestricted.logl",
              "npar", "aic", "bic", "ntotal", "baseline.chisq", "baseline.df")
out <- list(meta = meta(c("lavaan", "semTools")), setup = setup,
  notes = I(c("lavaan defaults: estimator ML, likelihood normal, missing listwise; multi-group models have a mean structure.",
              "omega = compRelSEM default (obs.var=TRUE); omega_model = compRelSEM(obs.var=FALSE).")),
  cases = list())

omega_case <- function(code) {
  fit <- run(code, env)
  pe <- parameterEstimates(fit)
  list(call = code, converged = lavInspect(fit, "converged"), nobs = as.numeric(lavInspect(fit, "nobs")),
       fitMeasures = setNames(as.list(as.numeric(fitMeasures(fit, fm_names))), fm_names),
       loadings = I(pe$est[pe$op == "=~"]),
       residual_variances = I(pe$est[pe$op == "~~" & pe$lhs == pe$rhs & pe$lhs != "f"]),
       omega = as.numeric(compRelSEM(fit)), omega_model = as.numeric(compRelSEM(fit, obs.var = FALSE)))
}
out$cases$bfi_agree <- omega_case('cfa("f =~ A1r + A2 + A3 + A4 + A5", data = agree, std.lv = TRUE)')
out$cases$small <- omega_case('cfa("f =~ q1 + q2 + q3 + q4", data = small, std.lv = TRUE)')

mg_case <- function(code) {
  fit <- run(code, env)
  ts <- lavInspect(fit, "test")$standard
  list(call = code, converged = lavInspect(fit, "converged"),
       group_labels = I(lavInspect(fit, "group.label")),
       nobs = I(as.numeric(lavInspect(fit, "nobs"))),
       fitMeasures = setNames(as.list(as.numeric(fitMeasures(fit, fm_names))), fm_names),
       chisq_by_group = I(as.numeric(ts$stat.group)))
}
for (dim in c("USA_mor", "CHN_edu")) {
  model <- sprintf("f =~ %s1 + %s2 + %s3 + %s4", dim, dim, dim, dim)
  out$cases[[paste0(dim, "_configural")]] <- mg_case(sprintf('cfa("%s", data = sp, group = "country")', model))
  out$cases[[paste0(dim, "_metric")]] <- mg_case(sprintf('cfa("%s", data = sp, group = "country", group.equal = "loadings")', model))
  out$cases[[paste0(dim, "_scalar")]] <- mg_case(sprintf('cfa("%s", data = sp, group = "country", group.equal = c("loadings", "intercepts"))', model))
}
write_json_file(out, "lavaan_sample.json")
