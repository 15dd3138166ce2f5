# DO NOT EDIT: generated package. alcor.v1 holds the Python stubs generated
# from protos/alcor/v1 by tools/gen_protos.sh.
