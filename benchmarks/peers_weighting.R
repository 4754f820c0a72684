# R survey side of benchmarks/bench_weighting.py: prints one JSON line of seconds per task.
# Usage: Rscript benchmarks/peers_weighting.R <tracker.csv> <replicates> <tasks,comma,separated> [weights.csv]
# With a 4th argument the raked weights (tight control, see ctl) are written there, one a line.
suppressPackageStartupMessages({library(survey); library(data.table)})
args <- commandArgs(TRUE)
path <- args[1]; R <- as.integer(args[2]); tasks <- strsplit(args[3], ",")[[1]]
df <- as.data.frame(fread(path))
m <- as.data.frame(fread(sub("\\.csv$", ".margins.csv", path)))
vars <- grep("^(USA|CHN)_", names(df), value = TRUE)
mvars <- c("age", "gender", "education", "region")
for (v in mvars) df[[v]] <- factor(df[[v]])
d <- svydesign(ids = ~1, strata = ~country, weights = ~w, data = df)
tot <- tapply(df$w, df$country, sum)
# Raking each country = raking on margins crossed with country, the one-call R idiom.
pops <- lapply(mvars, function(v) {
  x <- m[m$variable == v, ]
  out <- data.frame(country = x$country, cat = factor(x$category), Freq = x$proportion * tot[x$country])
  names(out)[2] <- v
  out
})
margins <- lapply(mvars, function(v) as.formula(paste("~country +", v)))
ctl <- list(maxit = 100, epsilon = 1e-8)
out <- list()
el <- function(expr) system.time(expr)[["elapsed"]]
means <- function(des) lapply(vars, function(v) svyby(as.formula(paste0("~", v)), ~country, des, svymean, na.rm = TRUE))
if ("rake" %in% tasks || "means_taylor" %in% tasks) out$rake <- el(dr <- rake(d, margins, pops, control = ctl))
if ("means_taylor" %in% tasks) out$means_taylor <- el(means(dr))
if (length(args) > 3 && exists("dr")) fwrite(data.table(w = weights(dr)), args[4], col.names = FALSE)
if ("bootstrap" %in% tasks) out$bootstrap <- el({
  rd <- as.svrepdesign(d, type = "bootstrap", replicates = R)
  rdr <- rake(rd, margins, pops, control = ctl)
})
if ("means_rep" %in% tasks) out$means_rep <- el(means(rdr))
cat("{", paste(sprintf('"%s": %.4f', names(out), unlist(out)), collapse = ", "), "}\n", sep = "")
