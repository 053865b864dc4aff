package io.bertstream.serde;

/** A schema registry request that failed: unreachable (status 0), or answered with an HTTP error. */
public class RegistryException extends RuntimeException {

    private final int status;
    private final int errorCode;

    public RegistryException(String message, int status, int errorCode, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorCode = errorCode;
    }

    /** HTTP status, or 0 when no answer came. */
    public int status() {
        return status;
    }

    /** The registry's {@code error_code} (e.g. 40403 schema not found), or 0 when none. */
    public int errorCode() {
        return errorCode;
    }

    /** True when the registry knows no such schema or subject. */
    public boolean notFound() {
        return status == 404;
    }
}
