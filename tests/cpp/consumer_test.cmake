# Installs the built library into PREFIX, then configures, builds and runs examples/cpp
# against it, as a project outside this tree would.
file(REMOVE_RECURSE ${PREFIX} ${BUILD_DIR}/consumer-build)
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
                COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE} -B ${BUILD_DIR}/consumer-build
                        -DCMAKE_PREFIX_PATH=${PREFIX} COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR}/consumer-build
                COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${BUILD_DIR}/consumer-build/socialrx_example
                OUTPUT_VARIABLE printed COMMAND_ERROR_IS_FATAL ANY)
message(STATUS "${printed}")
if(NOT printed MATCHES "cost avoided")
  message(FATAL_ERROR "the example printed no cost figure")
endif()
