# Pins alignment optimisation: sirt::invariance.alignment (meth=1, its default) on
# (1) the package's published example item parameters data.activity.itempars (Example 1 of
#     ?invariance.alignment), with the default powers and with align.pow=c(2,2), wgt=sqrt(N);
# (2) the configural model of the bundled sample (USA morality, 13 countries): lavaan
#     cfa(std.lv=TRUE, group="country") loadings and intercepts, aligned with wgt=sqrt(N);
# and invariance_alignment_constraints(lambda_parm_tol=.2, nu_parm_tol=.4) (the example's tolerances;
# also .05/.05 on the first case, where some parameters are flagged).
# sirt is not in Debian: it was installed from its CRAN source (github.com/cran/sirt, 4.1-15)
# with CDM, TAM and pbv, by R CMD INSTALL -l <lib>; run with R_LIBS=<lib>.
# Regenerate: R_LIBS=<lib> Rscript tests/reference/sirt_alignment.R -> sirt_alignment.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
suppressPackageStartupMessages(library(sirt))
env <- new.env()
assign("dd", script_dir(), envir = env)
setup <- 'data(data.activity.itempars, package="sirt")
lambda <- data.activity.itempars$lambda
nu <- data.activity.itempars$nu
Ng <- data.activity.itempars$N
wgt <- matrix(sqrt(Ng), length(Ng), ncol(nu))
sp <- read.csv(file.path(dd, "data", "softpower_sample_items.csv"))
mor <- na.omit(sp[, c("country", "USA_mor1", "USA_mor2", "USA_mor3", "USA_mor4")])
fit.c <- lavaan::cfa("f =~ USA_mor1 + USA_mor2 + USA_mor3 + USA_mor4", data=mor, group="country", std.lv=TRUE)
pe <- lavaan::parameterEstimates(fit.c)
G <- lavaan::lavInspect(fit.c, "ngroups")
lam_sp <- matrix(pe$est[pe$op == "=~"], nrow=G, byrow=TRUE)
nu_sp <- matrix(pe$est[pe$op == "~1" & pe$lhs != "f"], nrow=G, byrow=TRUE)
N_sp <- as.numeric(unlist(lavaan::lavInspect(fit.c, "nobs")))
wgt_sp <- matrix(sqrt(N_sp), G, 4)'
run(setup, env)
out <- list(meta = meta(c("sirt", "lavaan")), setup = setup,
  notes = I(c("sirt 4.1-15 invariance.alignment defaults: meth=1 (first group alpha=0, psi=1), eps=1e-3 reached through eps_grid=10^seq(0,-10,by=-.5), optimizer optim L-BFGS-B, align.scale=c(1,1).",
              "lambda/nu of the softpower case are lavaan std.lv configural estimates; groups in lavaan's order (first appearance).")),
  data = list(lambda = run("lambda", env), nu = run("nu", env), N = I(as.numeric(run("Ng", env)))),
  cases = list())
al_case <- function(code, ccode) {
  mod <- run(code, env)
  cm <- run(ccode, env)
  list(call = code, constraints_call = ccode,
       alpha0 = I(as.numeric(mod$pars$alpha0)), psi0 = I(as.numeric(mod$pars$psi0)),
       R2 = as.list(mod$es.invariance["R2", ]), fopt = mod$fopt,
       lambda_aligned = unname(mod$lambda.aligned), nu_aligned = unname(mod$nu.aligned),
       lambda_differs = unname(1 * (abs(cm$lambda_list$parm_dif) > 1e-5)),
       nu_differs = unname(1 * (abs(cm$nu_list$parm_dif) > 1e-5)))
}
tight_code <- 'cm1 <- invariance_alignment_constraints(mod1, lambda_parm_tol=.05, nu_parm_tol=.05)'

out$cases$activity_default <- al_case('mod1 <- invariance.alignment(lambda, nu, wgt)',
  'invariance_alignment_constraints(mod1, lambda_parm_tol=.2, nu_parm_tol=.4)')
out$cases$activity_pow2 <- al_case('mod2 <- invariance.alignment(lambda, nu, wgt, align.pow=c(2, 2))',
  'invariance_alignment_constraints(mod2, lambda_parm_tol=.2, nu_parm_tol=.4)')
cm1 <- run(tight_code, env)
out$cases$activity_default_tight <- list(call = tight_code,
  lambda_differs = unname(1 * (abs(cm1$lambda_list$parm_dif) > 1e-5)),
  nu_differs = unname(1 * (abs(cm1$nu_list$parm_dif) > 1e-5)))
out$cases$softpower_usa_morality <- al_case('mod3 <- invariance.alignment(lam_sp, nu_sp, wgt_sp)',
  'invariance_alignment_constraints(mod3, lambda_parm_tol=.2, nu_parm_tol=.4)')
out$cases$softpower_usa_morality$groups <- I(run('lavaan::lavInspect(fit.c, "group.label")', env))
out$cases$softpower_usa_morality$lambda <- run("lam_sp", env)
out$cases$softpower_usa_morality$nu <- run("nu_sp", env)
out$cases$softpower_usa_morality$N <- I(run("N_sp", env))
write_json_file(out, "sirt_alignment.json")
